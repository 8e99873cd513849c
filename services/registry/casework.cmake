# Casework (issue #13's first half): assessments, case plans, supervision and the task list, served by the
# registry process as shouhu.registry.v1.CaseworkService. Kept in its own file beside the registry's
# CMakeLists.txt so the halves merge simply.

# Pure rules: no I/O, no gRPC, no SQL; unit-tested under tests/unit/registry/.
add_library(casework_rules STATIC
  ${CMAKE_CURRENT_LIST_DIR}/assessment_schedule.cc
  ${CMAKE_CURRENT_LIST_DIR}/assessment_scoring.cc
  ${CMAKE_CURRENT_LIST_DIR}/case_plan_rules.cc
  ${CMAKE_CURRENT_LIST_DIR}/casework_validation.cc
  ${CMAKE_CURRENT_LIST_DIR}/supervision.cc
  ${CMAKE_CURRENT_LIST_DIR}/task_list.cc
  ${CMAKE_CURRENT_LIST_DIR}/visit_follow_ups.cc
)
target_compile_options(casework_rules PRIVATE ${SHOUHU_WARNINGS})
shouhu_unity_build(casework_rules)
target_link_libraries(casework_rules PUBLIC shouhu_common shouhu_registry_proto shouhu_visits_proto)

# The store, config, wiring and edge: part of the registry's own library.
target_sources(registry_lib PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/casework_config.cc
  ${CMAKE_CURRENT_LIST_DIR}/casework_module.cc
  ${CMAKE_CURRENT_LIST_DIR}/casework_service.cc
  ${CMAKE_CURRENT_LIST_DIR}/casework_store.cc
)
target_link_libraries(registry_lib PUBLIC casework_rules)
