"""Where the variant parameter counts in src/lab/model/net.rs come from (run by hand, not in CI:
it needs `pip install torch torchvision`).

ImageNet forms: torchvision's own models. CIFAR forms and SE-ResNet: short PyTorch transcriptions of
the papers' reference code (WRN: szagoruyko/wide-residual-networks; ResNeXt-29: facebookresearch/
ResNeXt's CIFAR model; DenseNet-BC: liuzhuang13/DenseNet; SE: hujie-frank/SENet; pre-activation:
KaimingHe/resnet-1k-layers), written independently of the lab's Rust plan.
"""
import torch.nn as nn
import torchvision.models as tv


def count(m):
    return sum(p.numel() for p in m.parameters())


class WideBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.bn1, self.conv1 = nn.BatchNorm2d(cin), nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn2, self.conv2 = nn.BatchNorm2d(cout), nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.short = None if (cin == cout and stride == 1) else nn.Conv2d(cin, cout, 1, stride, bias=False)


def wrn(depth, k, classes=10):
    n = (depth - 4) // 6
    widths = [16, 16 * k, 32 * k, 64 * k]
    layers = [nn.Conv2d(3, 16, 3, 1, 1, bias=False)]
    c = 16
    for g in range(3):
        for i in range(n):
            layers.append(WideBlock(c, widths[g + 1], (1 if g == 0 else 2) if i == 0 else 1))
            c = widths[g + 1]
    layers += [nn.BatchNorm2d(c), nn.Linear(c, classes)]
    return nn.Sequential(*layers)


class PreBottleneck(nn.Module):
    def __init__(self, cin, planes, stride):
        super().__init__()
        self.bn1, self.conv1 = nn.BatchNorm2d(cin), nn.Conv2d(cin, planes, 1, bias=False)
        self.bn2, self.conv2 = nn.BatchNorm2d(planes), nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn3, self.conv3 = nn.BatchNorm2d(planes), nn.Conv2d(planes, 4 * planes, 1, bias=False)
        self.short = None if (cin == 4 * planes and stride == 1) else nn.Conv2d(cin, 4 * planes, 1, stride, bias=False)


def preresnet_bottleneck(depth, classes=10):
    n = (depth - 2) // 9
    layers = [nn.Conv2d(3, 16, 3, 1, 1, bias=False)]
    c = 16
    for g, planes in enumerate([16, 32, 64]):
        for i in range(n):
            layers.append(PreBottleneck(c, planes, (1 if g == 0 else 2) if i == 0 else 1))
            c = 4 * planes
    layers += [nn.BatchNorm2d(c), nn.Linear(c, classes)]
    return nn.Sequential(*layers)


class NextBlock(nn.Module):
    def __init__(self, cin, cout, stride, cardinality, d):
        super().__init__()
        inner = cardinality * d * cout // 256
        self.reduce, self.bn_r = nn.Conv2d(cin, inner, 1, bias=False), nn.BatchNorm2d(inner)
        self.conv, self.bn = nn.Conv2d(inner, inner, 3, stride, 1, groups=cardinality, bias=False), nn.BatchNorm2d(inner)
        self.expand, self.bn_e = nn.Conv2d(inner, cout, 1, bias=False), nn.BatchNorm2d(cout)
        self.short = None if (cin == cout and stride == 1) else nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))


def resnext29(cardinality, d, classes=10):
    layers = [nn.Conv2d(3, 64, 3, 1, 1, bias=False), nn.BatchNorm2d(64)]
    c = 64
    for g, cout in enumerate([256, 512, 1024]):
        for i in range(3):
            layers.append(NextBlock(c, cout, (1 if g == 0 else 2) if i == 0 else 1, cardinality, d))
            c = cout
    layers.append(nn.Linear(c, classes))
    return nn.Sequential(*layers)


def densenet_bc(depth, k, classes=10):
    n = (depth - 4) // 6
    c = 2 * k
    layers = [nn.Conv2d(3, c, 3, 1, 1, bias=False)]
    for b in range(3):
        for _ in range(n):
            layers += [nn.BatchNorm2d(c), nn.Conv2d(c, 4 * k, 1, bias=False), nn.BatchNorm2d(4 * k), nn.Conv2d(4 * k, k, 3, 1, 1, bias=False)]
            c += k
        if b < 2:
            layers += [nn.BatchNorm2d(c), nn.Conv2d(c, c // 2, 1, bias=False)]
            c //= 2
    layers += [nn.BatchNorm2d(c), nn.Linear(c, classes)]
    return nn.Sequential(*layers)


class SE(nn.Module):
    def __init__(self, c, r):
        super().__init__()
        self.fc1, self.fc2 = nn.Conv2d(c, c // r, 1), nn.Conv2d(c // r, c, 1)


def se_resnet(depth, classes=1000, r=16):
    m = getattr(tv, f"resnet{depth}")(num_classes=classes)
    for layer in [m.layer1, m.layer2, m.layer3, m.layer4]:
        for blk in layer:
            c = (blk.bn3 if hasattr(blk, "bn3") else blk.bn2).num_features
            blk.se = SE(c, r)
    return m


def cifar_stem(m):
    m.conv1, m.maxpool = nn.Conv2d(3, 64, 3, 1, 1, bias=False), nn.Identity()
    return m


for name, m in [
    ("resnet18-cifar", cifar_stem(tv.resnet18(num_classes=10))), ("resnet34-cifar", cifar_stem(tv.resnet34(num_classes=10))),
    ("resnet50-cifar", cifar_stem(tv.resnet50(num_classes=10))),
    ("wide_resnet50_2", tv.wide_resnet50_2()), ("wide_resnet101_2", tv.wide_resnet101_2()),
    ("resnext50_32x4d", tv.resnext50_32x4d()), ("resnext101_32x8d", tv.resnext101_32x8d()),
    ("resnext101_64x4d", tv.resnext101_64x4d()),
    ("densenet121", tv.densenet121()), ("densenet161", tv.densenet161()), ("densenet169", tv.densenet169()), ("densenet201", tv.densenet201()),
    ("se_resnet50", se_resnet(50)), ("se_resnet101", se_resnet(101)), ("se_resnet152", se_resnet(152)),
    ("wrn-28-10", wrn(28, 10)), ("wrn-40-4", wrn(40, 4)), ("wrn-16-8", wrn(16, 8)),
    ("preresnet164", preresnet_bottleneck(164)), ("preresnet1001", preresnet_bottleneck(1001)),
    ("resnext29-8x64d", resnext29(8, 64)), ("resnext29-16x64d", resnext29(16, 64)),
    ("densenet-bc-100-12", densenet_bc(100, 12)), ("densenet-bc-250-24", densenet_bc(250, 24)), ("densenet-bc-190-40", densenet_bc(190, 40)),
]:
    print(f"{name:22} {count(m):>12,}")
