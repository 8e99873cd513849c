# Embeds a folder of NNNN_name.sql files into a library, so that a service binary carries its own schema and
# a container needs no extra files. The generated source defines a function returning the migrations in order.
#   shouhu_migrations(TARGET registry_migrations COMPONENT registry DIR migrations FUNCTION RegistryMigrations)
function(shouhu_migrations)
  cmake_parse_arguments(M "" "TARGET;COMPONENT;DIR;FUNCTION" "" ${ARGN})
  file(GLOB sql_files CONFIGURE_DEPENDS ${M_DIR}/*.sql)
  list(SORT sql_files)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${M_TARGET}.cc)
  # A list would split into separate command arguments; pass it joined with '|'.
  string(REPLACE ";" "|" joined_files "${sql_files}")
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DCOMPONENT=${M_COMPONENT} -DFUNCTION=${M_FUNCTION}
            "-DFILES=${joined_files}" -P ${PROJECT_SOURCE_DIR}/cmake/EmbedMigrations.cmake
    DEPENDS ${sql_files} ${PROJECT_SOURCE_DIR}/cmake/EmbedMigrations.cmake
    COMMENT "Embedding ${M_COMPONENT} migrations"
    VERBATIM)
  add_library(${M_TARGET} STATIC ${out})
  target_link_libraries(${M_TARGET} PUBLIC shouhu_common)
endfunction()
