# Guest code: freestanding 32-bit code built by this build (test kernels,
# the hypervisor, the guest kernel and its user programs).
#
#   ringlab_guest_library(NAME SOURCES src... [INCLUDE_DIRS dir...]
#                         [COMPILE_OPTIONS opt...])
#
# builds ${CMAKE_BINARY_DIR}/guests/lib/libNAME.a (custom target
# guestlib_NAME). guests/lib/ makes the one every guest links, "guest".
#
#   ringlab_guest_elf(NAME SOURCES src... LINKER_SCRIPT file [OUTPUT path]
#                     [INCLUDE_DIRS dir...] [COMPILE_OPTIONS opt...]
#                     [LIBRARIES lib...] [NO_GUESTLIB])
#
# compiles and links one ELF (by default ${CMAKE_BINARY_DIR}/guests/NAME.elf)
# through the custom target guest_NAME (part of ALL). It links the guest
# libraries named in LIBRARIES, then libguest.a (unless NO_GUESTLIB), then
# the 32-bit libgcc; guests/lib and machine/ (ringlab_ops.h) are on the
# include path. User programs of the guest kernel are built this way.
#
#   ringlab_guest_kernel(NAME SOURCES src... [LINKER_SCRIPT file]
#                        [INCLUDE_DIRS dir...] [COMPILE_OPTIONS opt...]
#                        [LIBRARIES lib...] [NO_COMMON] [NO_GUESTLIB])
#
# a Multiboot kernel: ringlab_guest_elf with, unless NO_COMMON is given,
# tests/guests/common/boot.S (the Multiboot header and _start, which calls
# kmain(magic, info)) and guest.c (port I/O, serial, guest_exit), and guest.h
# on the include path. The default linker script is
# tests/guests/common/kernel.ld (loads at 1 MiB).
#
# The path of the ELF is the target property RINGLAB_GUEST_ELF (use
# $<TARGET_PROPERTY:guest_NAME,RINGLAB_GUEST_ELF> in add_test) and the variable
# RINGLAB_GUEST_<NAME>_ELF in the calling folder.
#
# Everything goes through add_custom_command with the compiler called
# directly, never add_executable, so no host flag, sanitizer or link option can
# reach guest code.

set(RINGLAB_GUEST_COMMON_DIR ${CMAKE_CURRENT_LIST_DIR}/../tests/guests/common)
get_filename_component(RINGLAB_GUESTLIB_DIR ${CMAKE_CURRENT_LIST_DIR}/../guests/lib ABSOLUTE)
set(RINGLAB_GUESTLIB_OUT_DIR ${CMAKE_BINARY_DIR}/guests/lib)
get_filename_component(RINGLAB_GUEST_COMMON_DIR ${RINGLAB_GUEST_COMMON_DIR} ABSOLUTE)
get_filename_component(RINGLAB_GUEST_MACHINE_DIR ${CMAKE_CURRENT_LIST_DIR}/../machine ABSOLUTE)

# Guest code needs gcc (a clang host build, e.g. for the fuzzers, still
# builds guests with gcc and its 32-bit libgcc).
if(CMAKE_C_COMPILER_ID STREQUAL "GNU")
  set(RINGLAB_GUEST_CC ${CMAKE_C_COMPILER} CACHE FILEPATH "gcc used for guest code")
else()
  find_program(RINGLAB_GUEST_CC NAMES gcc REQUIRED)
endif()
find_program(RINGLAB_GUEST_LD NAMES ld.bfd ld REQUIRED)

execute_process(
  COMMAND ${RINGLAB_GUEST_CC} -m32 -print-libgcc-file-name
  OUTPUT_VARIABLE RINGLAB_GUEST_LIBGCC
  OUTPUT_STRIP_TRAILING_WHITESPACE
  RESULT_VARIABLE libgcc_rc)
if(NOT libgcc_rc EQUAL 0 OR NOT EXISTS "${RINGLAB_GUEST_LIBGCC}")
  message(FATAL_ERROR "guest code needs the 32-bit libgcc; install gcc-multilib "
                      "(${RINGLAB_GUEST_CC} -m32 -print-libgcc-file-name gave "
                      "'${RINGLAB_GUEST_LIBGCC}')")
endif()

set(RINGLAB_GUEST_CFLAGS
    -m32 -std=gnu11 -ffreestanding -nostdlib -fno-pie -fno-stack-protector
    -fno-asynchronous-unwind-tables -mgeneral-regs-only -O2 -Wall -Wextra -Werror)

# _ringlab_guest_objects(OUT_VAR TARGET_NAME "sources" "includes" "options")
# adds one compile command per source and sets OUT_VAR to the objects.
function(_ringlab_guest_objects out name sources includes options)
  set(objdir ${CMAKE_CURRENT_BINARY_DIR}/guest_${name}.dir)
  set(objects)
  foreach(src IN LISTS sources)
    # Objects keep the source's path (relative to the repo) so that two files
    # with one name in different folders do not collide.
    file(RELATIVE_PATH rel ${PROJECT_SOURCE_DIR} ${src})
    string(REPLACE "../" "__/" rel ${rel})
    set(obj ${objdir}/${rel}.o)
    get_filename_component(dir ${obj} DIRECTORY)
    file(MAKE_DIRECTORY ${dir})
    add_custom_command(
      OUTPUT ${obj}
      COMMAND ${RINGLAB_GUEST_CC} ${RINGLAB_GUEST_CFLAGS} ${options}
              ${includes} -MD -MF ${obj}.d -c ${src} -o ${obj}
      DEPENDS ${src}
      DEPFILE ${obj}.d
      COMMENT "Building guest object ${rel}.o (${name})"
      VERBATIM)
    list(APPEND objects ${obj})
  endforeach()
  set(${out} ${objects} PARENT_SCOPE)
endfunction()

function(_ringlab_guest_abs out)
  set(result)
  foreach(p IN LISTS ARGN)
    get_filename_component(p ${p} ABSOLUTE)
    list(APPEND result ${p})
  endforeach()
  set(${out} ${result} PARENT_SCOPE)
endfunction()

function(ringlab_guest_library name)
  cmake_parse_arguments(PARSE_ARGV 1 G "" "" "SOURCES;INCLUDE_DIRS;COMPILE_OPTIONS")
  if(G_UNPARSED_ARGUMENTS OR NOT G_SOURCES)
    message(FATAL_ERROR "ringlab_guest_library(${name}): want SOURCES, got ${ARGN}")
  endif()
  _ringlab_guest_abs(sources ${G_SOURCES})
  _ringlab_guest_abs(dirs ${G_INCLUDE_DIRS})
  set(includes -I${RINGLAB_GUESTLIB_DIR} -I${RINGLAB_GUEST_MACHINE_DIR})
  foreach(dir IN LISTS dirs)
    list(APPEND includes -I${dir})
  endforeach()
  _ringlab_guest_objects(objects lib${name} "${sources}" "${includes}" "${G_COMPILE_OPTIONS}")
  set(lib ${RINGLAB_GUESTLIB_OUT_DIR}/lib${name}.a)
  file(MAKE_DIRECTORY ${RINGLAB_GUESTLIB_OUT_DIR})
  add_custom_command(
    OUTPUT ${lib}
    COMMAND ${CMAKE_COMMAND} -E rm -f ${lib}
    COMMAND ${CMAKE_AR} rcs ${lib} ${objects}
    DEPENDS ${objects}
    COMMENT "Archiving guest library guests/lib/lib${name}.a"
    VERBATIM)
  add_custom_target(guestlib_${name} ALL DEPENDS ${lib})
  set_target_properties(guestlib_${name} PROPERTIES RINGLAB_GUEST_LIB ${lib})
endfunction()

function(ringlab_guest_elf name)
  cmake_parse_arguments(PARSE_ARGV 1 G "NO_GUESTLIB" "LINKER_SCRIPT;OUTPUT"
                        "SOURCES;INCLUDE_DIRS;COMPILE_OPTIONS;LIBRARIES")
  if(G_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "ringlab_guest_elf(${name}): unknown arguments ${G_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT G_SOURCES OR NOT G_LINKER_SCRIPT)
    message(FATAL_ERROR "ringlab_guest_elf(${name}): needs SOURCES and LINKER_SCRIPT")
  endif()
  get_filename_component(script ${G_LINKER_SCRIPT} ABSOLUTE)
  _ringlab_guest_abs(sources ${G_SOURCES})
  _ringlab_guest_abs(dirs ${G_INCLUDE_DIRS})
  set(includes -I${RINGLAB_GUEST_MACHINE_DIR} -I${RINGLAB_GUESTLIB_DIR})
  foreach(dir IN LISTS dirs)
    list(APPEND includes -I${dir})
  endforeach()
  _ringlab_guest_objects(objects ${name} "${sources}" "${includes}" "${G_COMPILE_OPTIONS}")

  set(libs)
  set(lib_targets)
  set(libnames ${G_LIBRARIES})
  if(NOT G_NO_GUESTLIB)
    list(APPEND libnames guest)
  endif()
  foreach(l IN LISTS libnames)
    list(APPEND libs ${RINGLAB_GUESTLIB_OUT_DIR}/lib${l}.a)
    list(APPEND lib_targets guestlib_${l})
  endforeach()

  if(G_OUTPUT)
    set(elf ${G_OUTPUT})
  else()
    set(elf ${CMAKE_BINARY_DIR}/guests/${name}.elf)
  endif()
  get_filename_component(elfdir ${elf} DIRECTORY)
  file(MAKE_DIRECTORY ${elfdir})
  add_custom_command(
    OUTPUT ${elf}
    COMMAND ${RINGLAB_GUEST_LD} -m elf_i386 -nostdlib --build-id=none
            -T ${script} -o ${elf} ${objects} --start-group ${libs} --end-group
            ${RINGLAB_GUEST_LIBGCC}
    DEPENDS ${objects} ${script} ${libs} ${lib_targets}
    COMMENT "Linking guest ELF ${elf}"
    VERBATIM)
  add_custom_target(guest_${name} ALL DEPENDS ${elf})
  if(lib_targets)
    add_dependencies(guest_${name} ${lib_targets})
  endif()
  set_target_properties(guest_${name} PROPERTIES RINGLAB_GUEST_ELF ${elf})
  set(RINGLAB_GUEST_${name}_ELF ${elf} PARENT_SCOPE)
endfunction()

function(ringlab_guest_kernel name)
  cmake_parse_arguments(PARSE_ARGV 1 G "NO_COMMON;NO_GUESTLIB" "LINKER_SCRIPT"
                        "SOURCES;INCLUDE_DIRS;COMPILE_OPTIONS;LIBRARIES")
  if(G_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "ringlab_guest_kernel(${name}): unknown arguments ${G_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT G_SOURCES)
    message(FATAL_ERROR "ringlab_guest_kernel(${name}): no SOURCES")
  endif()
  set(script ${RINGLAB_GUEST_COMMON_DIR}/kernel.ld)
  if(G_LINKER_SCRIPT)
    set(script ${G_LINKER_SCRIPT})
  endif()
  set(sources ${G_SOURCES})
  set(dirs ${G_INCLUDE_DIRS})
  if(NOT G_NO_COMMON)
    list(PREPEND sources ${RINGLAB_GUEST_COMMON_DIR}/boot.S ${RINGLAB_GUEST_COMMON_DIR}/guest.c)
    list(APPEND dirs ${RINGLAB_GUEST_COMMON_DIR})
  endif()
  set(flags)
  if(G_NO_GUESTLIB)
    set(flags NO_GUESTLIB)
  endif()
  ringlab_guest_elf(${name} ${flags} SOURCES ${sources} LINKER_SCRIPT ${script}
                    INCLUDE_DIRS ${dirs} COMPILE_OPTIONS ${G_COMPILE_OPTIONS}
                    LIBRARIES ${G_LIBRARIES})
  set(RINGLAB_GUEST_${name}_ELF ${RINGLAB_GUEST_${name}_ELF} PARENT_SCOPE)
endfunction()
