# add_guest(NAME SOURCES...): a freestanding x86-64 Multiboot v1 image.
#
# Produces NAME.elf (ELF64, what softvtx loads) and NAME.elf32 (the same
# bytes in an ELF32 container, which QEMU's -kernel accepts) in the current
# binary directory.  The target is ${GUEST_TARGET_PREFIX}NAME (prefix
# "guest_" unless the calling directory sets another, as tests/guest does
# so that its image names may repeat bench's); its image is linked at 1 MiB
# physical with guest/lib/guest.ld and the runtime in guest/lib.


set(GUEST_LIB_DIR ${CMAKE_SOURCE_DIR}/guest/lib)
set(GUEST_COMPILE_FLAGS
  -ffreestanding -fno-pic -fno-pie -mno-red-zone -mgeneral-regs-only
  -fno-stack-protector -fcf-protection=none -mcmodel=small -O2 -g
  -fno-asynchronous-unwind-tables -fno-tree-loop-distribute-patterns -fno-omit-frame-pointer -Wall -Wextra)
set(GUEST_LINK_FLAGS
  -nostdlib -static -no-pie -Wl,-T,${GUEST_LIB_DIR}/guest.ld
  -Wl,-z,max-page-size=0x1000 -Wl,--build-id=none -Wl,--no-warn-rwx-segments -Wl,-z,noexecstack)

function(guest_target_flags target)
  target_compile_options(${target} PRIVATE ${GUEST_COMPILE_FLAGS})
  target_include_directories(${target} PRIVATE ${GUEST_LIB_DIR}
                             ${CMAKE_SOURCE_DIR}/src)
endfunction()

# The runtime is compiled once and linked into every image.
if(NOT TARGET guestlib)
  file(GLOB GUEST_LIB_SOURCES CONFIGURE_DEPENDS
       ${GUEST_LIB_DIR}/*.c ${GUEST_LIB_DIR}/*.S)
  add_library(guestlib OBJECT ${GUEST_LIB_SOURCES})
  guest_target_flags(guestlib)
endif()

function(add_guest name)
  if(NOT DEFINED GUEST_TARGET_PREFIX)
    set(GUEST_TARGET_PREFIX guest_)
  endif()
  set(t ${GUEST_TARGET_PREFIX}${name})
  add_executable(${t} ${ARGN} $<TARGET_OBJECTS:guestlib>)
  guest_target_flags(${t})
  target_link_options(${t} PRIVATE ${GUEST_LINK_FLAGS})
  set_target_properties(${t} PROPERTIES
    OUTPUT_NAME ${name}.elf SUFFIX ""
    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}
    LINK_DEPENDS ${GUEST_LIB_DIR}/guest.ld)
  add_custom_command(TARGET ${t} POST_BUILD
    COMMAND ${CMAKE_OBJCOPY} -O elf32-i386 $<TARGET_FILE:${t}>
            ${CMAKE_CURRENT_BINARY_DIR}/${name}.elf32
    BYPRODUCTS ${CMAKE_CURRENT_BINARY_DIR}/${name}.elf32
    COMMENT "objcopy ${name}.elf -> ${name}.elf32")
endfunction()
