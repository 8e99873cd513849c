# The monthly-allowance cycles, forecast, verification sample, urgent-need relief and reports (issue #11's
# second half), kept in their own file beside the core's CMakeLists.txt so the two halves merge simply.

# Pure rules: no I/O, no gRPC, no SQL.
add_library(allowance_cycles_rules STATIC
  ${CMAKE_CURRENT_LIST_DIR}/budget_forecast.cc
  ${CMAKE_CURRENT_LIST_DIR}/living_allowance_rules.cc
  ${CMAKE_CURRENT_LIST_DIR}/monthly_amounts.cc
  ${CMAKE_CURRENT_LIST_DIR}/monthly_arrears.cc
  ${CMAKE_CURRENT_LIST_DIR}/relief_program_choice.cc
  ${CMAKE_CURRENT_LIST_DIR}/verification_sample.cc
)
target_compile_options(allowance_cycles_rules PRIVATE ${SHOUHU_WARNINGS})
shouhu_unity_build(allowance_cycles_rules)
target_include_directories(allowance_cycles_rules PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(allowance_cycles_rules PUBLIC absl::status absl::statusor absl::time absl::strings)

# The stores, jobs, followers and edge methods: part of the service's own library.
target_sources(allowance_lib PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/allowance_service_cycles.cc
  ${CMAKE_CURRENT_LIST_DIR}/case_standing_backfill.cc
  ${CMAKE_CURRENT_LIST_DIR}/living_allowance_follower.cc
  ${CMAKE_CURRENT_LIST_DIR}/living_allowance_stops.cc
  ${CMAKE_CURRENT_LIST_DIR}/monthly_amount_changes.cc
  ${CMAKE_CURRENT_LIST_DIR}/monthly_arrears_claims.cc
  ${CMAKE_CURRENT_LIST_DIR}/monthly_cycles_config.cc
  ${CMAKE_CURRENT_LIST_DIR}/monthly_cycles_module.cc
  ${CMAKE_CURRENT_LIST_DIR}/monthly_roster_job.cc
  ${CMAKE_CURRENT_LIST_DIR}/monthly_roster_store.cc
  ${CMAKE_CURRENT_LIST_DIR}/sent_back_cycles.cc
  ${CMAKE_CURRENT_LIST_DIR}/urgent_need_follower.cc
  ${CMAKE_CURRENT_LIST_DIR}/payment_check_follower.cc
)
target_link_libraries(allowance_lib PUBLIC allowance_cycles_rules shouhu_visits_proto)
