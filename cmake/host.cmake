# Flags for host targets (the emulator, its libraries and its tests).
#
# ringlab_host_target(TARGET) puts the warning set and, when RINGLAB_SANITIZE
# is on, AddressSanitizer and UndefinedBehaviorSanitizer on one target. They
# are set per target, never globally, so guest code cannot inherit them.

set(RINGLAB_WARNINGS -Wall -Wextra -Werror -Wno-unused-parameter)
set(RINGLAB_SAN_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all
    -fno-omit-frame-pointer)

function(ringlab_host_target target)
  target_compile_options(${target} PRIVATE ${RINGLAB_WARNINGS})
  if(RINGLAB_SANITIZE)
    target_compile_options(${target} PRIVATE ${RINGLAB_SAN_FLAGS})
    get_target_property(type ${target} TYPE)
    if(type STREQUAL "EXECUTABLE")
      target_link_options(${target} PRIVATE ${RINGLAB_SAN_FLAGS})
    endif()
  endif()
endfunction()
