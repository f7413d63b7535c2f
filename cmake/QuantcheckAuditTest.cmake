# quantcheck_add_audit_test(NAME <test name> ADAPTER "<command>"
#                           [POLICY <mode>...] [PROPERTY <property>...]
#                           [CASES <n>] [SEED <n>] [LABELS <label>...])
#
# Registers a ctest test that runs `quantcheck audit --adapter "<command>"`
# against a user's quantizer (docs/adapter-protocol.md): it passes when every
# guarantee the adapter claims holds (exit 0), fails on a broken claim (exit 1)
# or an adapter that cannot be driven (exit 2). <command> may hold generator
# expressions, e.g. "$<TARGET_FILE:my_adapter>". POLICY names adapter modes as
# the report does (`<adapter name>:<mode>`), PROPERTY names from
# docs/properties.md; without them every mode and property is audited.
#
# Installed with the package (find_package(quantcheck) includes it) and
# available in quantcheck's own build when the CLI is built.
function(quantcheck_add_audit_test)
  cmake_parse_arguments(ARG "" "NAME;ADAPTER;CASES;SEED" "POLICY;PROPERTY;LABELS" ${ARGN})
  if(NOT ARG_NAME OR NOT ARG_ADAPTER)
    message(FATAL_ERROR "quantcheck_add_audit_test: NAME and ADAPTER are required")
  endif()
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "quantcheck_add_audit_test: unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(TARGET quantcheck::cli)
    set(cli $<TARGET_FILE:quantcheck::cli>)
  else()
    message(FATAL_ERROR "quantcheck_add_audit_test: the quantcheck CLI is not built "
                        "(QUANTCHECK_BUILD_CLI=ON when quantcheck is a subproject)")
  endif()
  set(cmd ${cli} audit --adapter ${ARG_ADAPTER})
  foreach(p IN LISTS ARG_POLICY)
    list(APPEND cmd --policy ${p})
  endforeach()
  foreach(p IN LISTS ARG_PROPERTY)
    list(APPEND cmd --property ${p})
  endforeach()
  if(ARG_CASES)
    list(APPEND cmd --cases ${ARG_CASES})
  endif()
  if(ARG_SEED)
    list(APPEND cmd --seed ${ARG_SEED})
  endif()
  add_test(NAME ${ARG_NAME} COMMAND ${cmd})
  set_tests_properties(${ARG_NAME} PROPERTIES LABELS "quantcheck;${ARG_LABELS}")
endfunction()
