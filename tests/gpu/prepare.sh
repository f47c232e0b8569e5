#!/usr/bin/env bash
# Packs what tests/gpu/run.sh needs on a lent GPU machine, which has no registry to install from, into
# .gpu/ (git-ignored), in two halves a device call carries one at a time (each call carries at most 64 MiB):
#   .gpu/a: the lab built with wgpu (xz), the PyTorch peer's nets, the Vulkan/EGL loaders, the built site,
#           the first part of Debian's Chromium with the libraries it links that a CUDA image lacks
#   .gpu/b: the rest of Chromium
# Run from the repo root after `make build` (the site in dist/).
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/var/tmp/resnet-lab-target}
rm -rf .gpu/a .gpu/b .gpu/chromium; mkdir -p .gpu/a .gpu/b .gpu/chromium/lib .gpu/chromium/locales
cargo build --release --locked --features gpu --bin lab
strip -o .gpu/lab "$CARGO_TARGET_DIR/release/lab" && xz -T2 -6 -c .gpu/lab > .gpu/a/lab.xz && rm .gpu/lab
cp ../shared/peers/torch_bench.py .gpu/a/
# The loaders (libvulkan1 and glvnd's EGL) as Debian packages, unpacked there (the device tool's advice).
o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
mkdir -p /tmp/amd64/partial .gpu/a/gl
apt-get $o update -qq
(cd .gpu/a/gl && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
tar -C dist --exclude=./public/data -czf .gpu/a/site.tar.gz .   # the pages it times use synthetic data
# Chromium: the browser, its data files, the shared libraries it links (but the C runtime, which the
# other machine has in a newer version), NSS's modules and one font with a fontconfig file.
c=/usr/lib/chromium
cp $c/chromium $c/chrome_crashpad_handler $c/icudtl.dat $c/*.pak $c/*.bin $c/libvulkan.so.1 $c/libEGL.so $c/libGLESv2.so .gpu/chromium/
cp $c/locales/en-US.pak .gpu/chromium/locales/
ldd $c/chromium | awk '$3 ~ /^\// {print $3}' | grep -Ev '/(libc|libm|libdl|libpthread|librt|libgcc_s|libstdc\+\+|ld-linux-x86-64)\.so' |
  xargs -I{} cp -L {} .gpu/chromium/lib/
cp -L /usr/lib/x86_64-linux-gnu/libsoftokn3.so /usr/lib/x86_64-linux-gnu/libfreeblpriv3.so /usr/lib/x86_64-linux-gnu/libnssckbi.so .gpu/chromium/lib/ 2>/dev/null || true
mkdir -p .gpu/chromium/fonts
cp /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf .gpu/chromium/fonts/ 2>/dev/null || true
printf '<?xml version="1.0"?>\n<fontconfig><dir>%s</dir><cachedir>/tmp/fc-cache</cachedir></fontconfig>\n' /opt/lab-chromium/fonts > .gpu/chromium/fonts.conf
tar -C .gpu -cf - chromium | xz -T2 -6 > .gpu/chromium.tar.xz
rm -rf .gpu/chromium
# Each half, with the tree that travels too (about 3 MB), stays under the 64 MiB a call carries.
free=$(( 58 * 1048576 - $(du -cb .gpu/a | tail -1 | cut -f1) ))
head -c $free .gpu/chromium.tar.xz > .gpu/a/chromium.part1
tail -c +$(( free + 1 )) .gpu/chromium.tar.xz > .gpu/b/chromium.part2
rm .gpu/chromium.tar.xz
du -sh .gpu/a .gpu/b
for h in a b; do
  [ "$(du -cb .gpu/$h | tail -1 | cut -f1)" -le $(( 58 * 1048576 )) ] || { echo ".gpu/$h is over 58 MiB: split Chromium in three"; exit 1; }
done
