# shellcheck shell=bash
# Shared configure + build steps for scripts/test and scripts/run (sourced, not run).
#
# Sets LP_ROOT (repo root) and LP_BUILD (absolute build dir) and provides
# lp_configure_and_build. Environment:
#   LP_BUILD_DIR   build directory (default: build; relative to the repo root)
#   LP_CMAKE_ARGS  extra cmake configure arguments, split on whitespace

LP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
LP_BUILD="${LP_BUILD_DIR:-build}"
[[ $LP_BUILD == /* ]] || LP_BUILD="$LP_ROOT/$LP_BUILD"

lp_configure_and_build() {
  if [[ ! -f $LP_ROOT/CMakeLists.txt ]]; then
    echo "error: $LP_ROOT/CMakeLists.txt not found, nothing to build" >&2
    return 1
  fi

  local args=(-S "$LP_ROOT" -B "$LP_BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo)
  # ccache makes CI re-runs and repeated scripts/run calls cheap.
  if command -v ccache >/dev/null 2>&1; then
    args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  fi
  local extra=()
  read -r -a extra <<<"${LP_CMAKE_ARGS:-}"
  args+=("${extra[@]}")

  if ! cmake "${args[@]}"; then
    echo "error: CMake configure failed (see the messages above); build dir: $LP_BUILD" >&2
    return 1
  fi
  if ! cmake --build "$LP_BUILD" -j "$(nproc)"; then
    echo "error: build failed (see the compiler messages above)" >&2
    return 1
  fi
}
