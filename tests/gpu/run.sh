#!/usr/bin/env bash
# Real-GPU figures for the README (issue 17), run on a lent GPU machine from the repo root, with what
# tests/gpu/prepare.sh packed into .gpu/a (and .gpu/b for the browser):
#   tests/gpu/run.sh native    the lab natively through wgpu (Vulkan) against PyTorch CUDA with the peer's
#                              own nets, then flex on 1..16 CPU threads against PyTorch's CPU
#   tests/gpu/run.sh browser   the lab in headless Chromium: WebGPU on the real GPU, `auto`, and the CPU
#                              path on 1..16 threads
# Everything it prints also goes to $OUT (the device tool brings that folder back).
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/lab-gpu-out}
mkdir -p "$OUT"
exec > >(tee -a "$OUT/log.txt") 2>&1
A=.gpu/a
say() { echo "== $*"; }
# xz, or Python's lzma where the image has no xz.
unxz() { xz -dc "$@" 2>/dev/null || python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.stdin.buffer), sys.stdout.buffer)'; }

# The Vulkan loader and glvnd, then NVIDIA's own driver files where the image keeps them.
for f in $A/gl/*.deb; do dpkg -x "$f" /; done
ldconfig
nv=/usr/local/nvidia/share
icd=$(ls $nv/vulkan/icd.d/nvidia_icd*.json /usr/share/vulkan/icd.d/nvidia_icd*.json /etc/vulkan/icd.d/nvidia_icd*.json 2>/dev/null | head -1)
[ -n "$icd" ] && export VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd
say "Vulkan driver file: ${icd:-none found}"
[ -f $nv/glvnd/egl_vendor.d/10_nvidia.json ] && export __EGL_VENDOR_LIBRARY_FILENAMES=$nv/glvnd/egl_vendor.d/10_nvidia.json
say "$(date -u +%FT%TZ) $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader) · $(nproc) cores · $(python3 -c 'import torch; print("torch", torch.__version__)')"

lab_wgpu() { LAB_BACKEND=wgpu timeout "$1" /tmp/lab bench --no-peer "${@:2}"; }
torch_cuda() { timeout 120 python3 tests/gpu/torch_cuda.py --peers $A "$@"; }

native() {
  unxz < $A/lab.xz > /tmp/lab && chmod +x /tmp/lab
  say "lab (burn-wgpu, Vulkan) vs PyTorch CUDA; img/s"
  lab_wgpu 240 --models resnet20,resnet56 --batch 64 --steps 30 --warmup 5
  for m in resnet20 resnet56; do for t in 1 0; do torch_cuda --model $m --batch 64 --steps 30 --warmup 5 --tf32 $t; done; done
  lab_wgpu 240 --models resnet20 --batch 512 --steps 10 --warmup 3
  torch_cuda --model resnet20 --batch 512 --steps 10 --warmup 3 --tf32 0
  lab_wgpu 300 --models resnet50 --size 224 --batch 32 --steps 10 --warmup 3
  for t in 1 0; do torch_cuda --model resnet50 --size 224 --batch 32 --steps 10 --warmup 3 --tf32 $t; done
  say "flex (the lab's CPU path, natively) and PyTorch CPU, ResNet-20 batch 64, by thread count; img/s"
  for n in 1 2 4 8 16; do
    echo "threads $n: lab flex $(RAYON_NUM_THREADS=$n timeout 120 /tmp/lab bench --no-peer --models resnet20 --steps 5 | awk -F'|' '/^\| resnet20/ {print $4}')" \
      "· torch $(timeout 120 python3 $A/torch_bench.py --model resnet20 --batch 64 --steps 10 --threads $n --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["train_img_s"])')"
  done
  # What the image has, for packing the browser (its libraries, node, xz).
  { ldconfig -p; command -v node xz; cat /etc/os-release; } > "$OUT/image.txt" 2>&1
}

browser() {
  mkdir -p /opt/lab-chromium /tmp/site
  cat $A/chromium.part1 .gpu/b/chromium.part2 | unxz | tar -C /opt/lab-chromium --strip-components=1 -xf - || { say "chromium bundle incomplete"; return 1; }
  tar -C /tmp/site -xzf $A/site.tar.gz
  export LD_LIBRARY_PATH=/opt/lab-chromium/lib FONTCONFIG_FILE=/opt/lab-chromium/fonts.conf
  missing=$(ldd /opt/lab-chromium/chromium | grep 'not found')
  [ -n "$missing" ] && say "chromium lacks: $missing"
  say "the lab in headless Chromium"
  timeout 480 python3 tests/gpu/browser_bench.py --chromium /opt/lab-chromium/chromium --site /tmp/site --out "$OUT" ${CASES:+--cases $CASES}
}

"${1:-native}"
