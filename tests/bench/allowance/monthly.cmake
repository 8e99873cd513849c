# The monthly roster for 100,000 children on the test MariaDB: prints the time (target under 60 s); asserts
# only what was written. Run it with: SHOUHU_BUILD_DIR=$PWD/build tests/run -R allowance_monthly_roster_bench
shouhu_test(NAME allowance_monthly_roster_bench DB
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/monthly_roster_bench.cc
  LIBS allowance_lib)
set_tests_properties(allowance_monthly_roster_bench PROPERTIES LABELS "db;bench" TIMEOUT 900)
