# The monthly basic living allowance, forecast, report and urgent-need drafts against the real registry
# (in the same process), a test event source standing in for the visits stream, and real MariaDB.
shouhu_test(NAME allowance_monthly_integration_test DB
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/monthly_fixture.cc
    ${CMAKE_CURRENT_LIST_DIR}/monthly_allowance_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/monthly_amount_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/monthly_arrears_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/monthly_standard_command_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/monthly_urgent_need_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/case_closed_test.cc
    ${PROJECT_SOURCE_DIR}/tests/integration/registry/registry_fixture.cc
  LIBS allowance_lib registry_lib fake_training_client shouhu_event_source admin_lib)
