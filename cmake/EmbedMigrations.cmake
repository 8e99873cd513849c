# Script mode: writes OUT, a C++ source defining
#   std::vector<shouhu::db::Migration> FUNCTION();
# from FILES (sorted NNNN_name.sql paths).
string(REPLACE "|" ";" FILES "${FILES}")
set(body "")
foreach(f ${FILES})
  get_filename_component(name ${f} NAME_WE)
  string(REGEX MATCH "^[0-9]+" version ${name})
  if(version STREQUAL "")
    message(FATAL_ERROR "migration ${f} does not start with a version number")
  endif()
  math(EXPR version "${version}")
  file(READ ${f} sql)
  string(APPEND body "      {\"${COMPONENT}\", ${version}, \"${name}\", R\"shouhu_sql(${sql})shouhu_sql\"},\n")
endforeach()
file(WRITE ${OUT}.tmp
"// Generated from ${COMPONENT}'s migrations folder; do not edit.
#include <vector>

#include \"common/migrations.h\"

namespace shouhu {
std::vector<db::Migration> ${FUNCTION}() {
  return {
${body}  };
}
}  // namespace shouhu
")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
