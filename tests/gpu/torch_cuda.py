#!/usr/bin/env python3
"""PyTorch on a CUDA GPU with the peer's own nets (../shared/peers/torch_bench.py builds them), timed the
way `lab bench` times the lab: `--warmup` untimed steps, then `--steps` timed ones, each ending with the
loss read back to the host (as the lab reads its loss every step); inference likewise.

  python3 torch_cuda.py --peers DIR --model resnet20 --batch 64 --size 32 --steps 20 [--warmup 5] [--tf32 0|1]

Prints one JSON line. `--device cpu` runs the same script without a GPU (to check it before a lease).
--tf32 1 lets cuDNN and cuBLAS use TF32 tensor cores for float32 (PyTorch's default
for convolutions); 0 keeps full float32, like the lab's wgpu kernels.
"""
import argparse, json, sys, time


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--peers", required=True, help="folder holding torch_bench.py")
    p.add_argument("--model", default="resnet20"); p.add_argument("--batch", type=int, default=64)
    p.add_argument("--size", type=int, default=32); p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=5); p.add_argument("--tf32", type=int, default=1)
    p.add_argument("--device", default="cuda")
    a = p.parse_args()
    sys.path.insert(0, a.peers)
    import torch, torch.nn.functional as F
    import torch_bench
    torch.backends.cudnn.allow_tf32 = bool(a.tf32)
    torch.backends.cuda.matmul.allow_tf32 = bool(a.tf32)
    torch.backends.cudnn.benchmark = True
    torch.manual_seed(0)
    dev = torch.device(a.device)
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    m = torch_bench.build(a.model, 10).to(dev)
    params = sum(t.numel() for t in m.parameters())
    x = torch.randn(a.batch, 3, a.size, a.size, device=dev); y = torch.randint(0, 10, (a.batch,), device=dev)
    opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)
    m.train()

    def step():
        opt.zero_grad(set_to_none=True); loss = F.cross_entropy(m(x), y); loss.backward(); opt.step(); return loss.item()

    for _ in range(a.warmup): step()
    sync(); t = time.perf_counter()
    for _ in range(a.steps): step()
    sync(); train = a.batch * a.steps / (time.perf_counter() - t)
    m.eval()
    with torch.no_grad():
        for _ in range(a.warmup): m(x).sum().item()
        sync(); t = time.perf_counter()
        for _ in range(a.steps): m(x).sum().item()
        sync(); infer = a.batch * a.steps / (time.perf_counter() - t)
    print(json.dumps(dict(peer=f"pytorch-{dev.type}", torch=torch.__version__, gpu=torch.cuda.get_device_name(0) if dev.type == "cuda" else "cpu", tf32=a.tf32,
                          model=a.model, params=params, batch=a.batch, size=a.size,
                          train_img_s=round(train, 1), infer_img_s=round(infer, 1))))


if __name__ == "__main__":
    main()
