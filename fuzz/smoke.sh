#!/usr/bin/env bash
# Short fuzzing smoke for CI: build every target and run each for N seconds (default 20).
# Exits 0 with a notice when the nightly toolchain or cargo-fuzz is missing, non-zero when a
# target fails to build or any run finds a crash (the reproducer is left in
# fuzz/artifacts/<target>/). Usage: fuzz/smoke.sh [seconds] [target...]
set -euo pipefail
fuzz_dir=$(cd "$(dirname "$0")" && pwd)
seconds=${1:-20}
shift || true

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "fuzz smoke: skipped (no nightly toolchain: rustup toolchain install nightly)"; exit 0
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "fuzz smoke: skipped (no cargo-fuzz: cargo install cargo-fuzz)"; exit 0
fi

cd "$fuzz_dir"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR_FUZZ:-$fuzz_dir/target}
# Same flags as README's long run: release, debug assertions (overflow checks), no ASan
# (all our code is safe Rust; ASan doubles build and run time on a 2-core machine).
build_flags=(-O -a -s none)
cargo +nightly fuzz build "${build_flags[@]}"

targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo +nightly fuzz list)

"$fuzz_dir/seed.sh" >/dev/null
failed=()
for t in "${targets[@]}"; do
    log="$CARGO_TARGET_DIR/smoke-$t.log"
    # The CLI target prints reports and errors on every run: silence the target's stdout/err.
    mask=0; [ "$t" = check_config ] && mask=3
    echo "fuzz smoke: $t for ${seconds}s"
    if cargo +nightly fuzz run "${build_flags[@]}" "$t" -- \
        -max_total_time="$seconds" -rss_limit_mb=512 -timeout=10 -close_fd_mask=$mask \
        >"$log" 2>&1; then
        grep -E '^Done|#[0-9]+.*DONE' "$log" | tail -1 || true
    else
        echo "fuzz smoke: $t FAILED (log: $log)"; tail -40 "$log"; failed+=("$t")
    fi
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz smoke: crashes in: ${failed[*]}"; exit 1
fi
echo "fuzz smoke: ${#targets[@]} targets ran ${seconds}s each, no crash"
