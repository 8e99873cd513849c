# Unit tests of the monthly-allowance cycles' pure rules (services/allowance/cycles.cmake).
shouhu_test(NAME allowance_cycles_rules_test
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/budget_forecast_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/living_allowance_rules_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/monthly_amounts_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/monthly_arrears_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/relief_program_choice_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/verification_sample_test.cc
  LIBS allowance_cycles_rules)
