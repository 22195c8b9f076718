# OpenBLAS for the fast-mode convolutions (native/fast/). Sets DN_BLAS (0/1).
#   DARKNET_BLAS=auto (default): use OpenBLAS when found, else Darknet's own gemm.
#   DARKNET_BLAS=ON: fail when not found. OFF: never.
# Preferred: the static library of OpenBLAS's OpenMP variant (Debian: libopenblas-openmp-dev).
#  - static: the addon carries its own BLAS, so a prebuilt binary needs no OpenBLAS package, and
#    OpenBLAS's DYNAMIC_ARCH kernels pick the CPU's best code path at run time (portable x86-64);
#  - OpenMP variant: OpenBLAS then shares the OpenMP thread pool with Darknet's and our parallel
#    loops. The pthread variant brings a second pool whose spinning threads compete with OpenMP's
#    for the same cores (measured: ~18% of a yolov3 forward spent yielding).
set(DARKNET_BLAS "auto" CACHE STRING "OpenBLAS for fast-mode convolutions: auto, ON or OFF")
set(DN_BLAS 0)
if(NOT DARKNET_BLAS STREQUAL "OFF")
  set(_arch_dirs "/usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}" "/usr/lib64" "/usr/lib")
  set(_omp_lib_dirs)
  set(_omp_inc_dirs)
  foreach(d ${_arch_dirs})
    list(APPEND _omp_lib_dirs "${d}/openblas-openmp")
  endforeach()
  list(APPEND _omp_inc_dirs "/usr/include/${CMAKE_LIBRARY_ARCHITECTURE}/openblas-openmp")
  find_file(DN_OPENBLAS_LIB libopenblas.a PATHS ${_omp_lib_dirs} NO_DEFAULT_PATH)
  find_path(DN_OPENBLAS_INCLUDE cblas.h PATHS ${_omp_inc_dirs} NO_DEFAULT_PATH)
  set(DN_BLAS_KIND "OpenBLAS (OpenMP, static)")
  if(NOT DN_OPENBLAS_LIB OR NOT DN_OPENBLAS_INCLUDE)
    unset(DN_OPENBLAS_LIB CACHE)
    unset(DN_OPENBLAS_INCLUDE CACHE)
    find_library(DN_OPENBLAS_LIB openblas)
    find_path(DN_OPENBLAS_INCLUDE cblas.h PATH_SUFFIXES openblas "${CMAKE_LIBRARY_ARCHITECTURE}/openblas-pthread")
    set(DN_BLAS_KIND "OpenBLAS (shared)")
  endif()
  if(DN_OPENBLAS_LIB AND DN_OPENBLAS_INCLUDE)
    set(DN_BLAS 1)
    message(STATUS "BLAS: ${DN_BLAS_KIND}: ${DN_OPENBLAS_LIB}")
  elseif(DARKNET_BLAS STREQUAL "ON")
    message(FATAL_ERROR "DARKNET_BLAS=ON but OpenBLAS was not found (Debian: apt-get install libopenblas-openmp-dev)")
  else()
    message(STATUS "BLAS: none found; fast mode uses Darknet's own gemm (apt-get install libopenblas-openmp-dev for speed)")
  endif()
endif()
