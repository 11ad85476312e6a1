# Guest code: freestanding 32-bit Multiboot v1 ELF kernels built by this build.
#
#   ringlab_guest_kernel(NAME SOURCES src... [LINKER_SCRIPT file]
#                        [INCLUDE_DIRS dir...] [COMPILE_OPTIONS opt...]
#                        [NO_COMMON])
#
# builds ${CMAKE_BINARY_DIR}/guests/NAME.elf through the custom target
# guest_NAME (part of ALL). Sources are relative to the calling folder. Unless
# NO_COMMON is given, the kernel also gets tests/guests/common/boot.S (the
# Multiboot header and _start, which calls kmain(magic, info)) and guest.c
# (port I/O, serial, guest_exit), and guest.h is on the include path. The
# default linker script is tests/guests/common/kernel.ld (loads at 1 MiB).
#
# The path of the ELF is the target property RINGLAB_GUEST_ELF (use
# $<TARGET_PROPERTY:guest_NAME,RINGLAB_GUEST_ELF> in add_test) and the variable
# RINGLAB_GUEST_<NAME>_ELF in the calling folder.
#
# Everything goes through add_custom_command with the compiler called
# directly, never add_executable, so no host flag, sanitizer or link option can
# reach guest code.

set(RINGLAB_GUEST_COMMON_DIR ${CMAKE_CURRENT_LIST_DIR}/../tests/guests/common)
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
    -fno-asynchronous-unwind-tables -O2 -Wall -Wextra -Werror)

function(ringlab_guest_kernel name)
  cmake_parse_arguments(PARSE_ARGV 1 G "NO_COMMON" "LINKER_SCRIPT"
                        "SOURCES;INCLUDE_DIRS;COMPILE_OPTIONS")
  if(G_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "ringlab_guest_kernel(${name}): unknown arguments ${G_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT G_SOURCES)
    message(FATAL_ERROR "ringlab_guest_kernel(${name}): no SOURCES")
  endif()
  if(G_LINKER_SCRIPT)
    get_filename_component(script ${G_LINKER_SCRIPT} ABSOLUTE)
  else()
    set(script ${RINGLAB_GUEST_COMMON_DIR}/kernel.ld)
  endif()

  set(sources)
  foreach(src IN LISTS G_SOURCES)
    get_filename_component(src ${src} ABSOLUTE)
    list(APPEND sources ${src})
  endforeach()
  set(includes -I${RINGLAB_GUEST_MACHINE_DIR})
  if(NOT G_NO_COMMON)
    list(PREPEND sources ${RINGLAB_GUEST_COMMON_DIR}/boot.S ${RINGLAB_GUEST_COMMON_DIR}/guest.c)
    list(APPEND includes -I${RINGLAB_GUEST_COMMON_DIR})
  endif()
  foreach(dir IN LISTS G_INCLUDE_DIRS)
    get_filename_component(dir ${dir} ABSOLUTE)
    list(APPEND includes -I${dir})
  endforeach()

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
      COMMAND ${RINGLAB_GUEST_CC} ${RINGLAB_GUEST_CFLAGS} ${G_COMPILE_OPTIONS}
              ${includes} -MD -MF ${obj}.d -c ${src} -o ${obj}
      DEPENDS ${src}
      DEPFILE ${obj}.d
      COMMENT "Building guest object ${rel}.o (${name})"
      VERBATIM)
    list(APPEND objects ${obj})
  endforeach()

  set(elf ${CMAKE_BINARY_DIR}/guests/${name}.elf)
  file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/guests)
  add_custom_command(
    OUTPUT ${elf}
    COMMAND ${RINGLAB_GUEST_LD} -m elf_i386 -nostdlib --build-id=none
            -T ${script} -o ${elf} ${objects} ${RINGLAB_GUEST_LIBGCC}
    DEPENDS ${objects} ${script}
    COMMENT "Linking guest kernel guests/${name}.elf"
    VERBATIM)
  add_custom_target(guest_${name} ALL DEPENDS ${elf})
  set_target_properties(guest_${name} PROPERTIES RINGLAB_GUEST_ELF ${elf})
  set(RINGLAB_GUEST_${name}_ELF ${elf} PARENT_SCOPE)
endfunction()
