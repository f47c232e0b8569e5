//! Times conv2d's forward pass and both gradients on flex for each 3×3 conv shape of CIFAR ResNet-20
//! (batch 64), and what they add up to for one training step: the per-op view behind the README's
//! "What each lever gave". `RAYON_NUM_THREADS=1 cargo run --release --example conv_ops`
use burn::prelude::*;
use burn::tensor::module::conv2d;
use burn::tensor::ops::ConvOptions;
use std::time::Instant;

fn main() {
    let dev = Device::flex();
    let ad = dev.clone().autodiff();
    let b = 64;
    // (cin, cout, size, stride, count in ResNet-20)
    let shapes = [(3, 16, 32, 1, 1), (16, 16, 32, 1, 6), (16, 32, 32, 2, 1), (32, 32, 16, 1, 5), (32, 64, 16, 2, 1), (64, 64, 8, 1, 5)];
    let (mut tf, mut tb) = (0.0, 0.0);
    for (cin, cout, size, stride, n) in shapes {
        let x = Tensor::<4>::random([b, cin, size, size], burn::tensor::Distribution::Normal(0.0, 1.0), &ad).require_grad();
        let w = Tensor::<4>::random([cout, cin, 3, 3], burn::tensor::Distribution::Normal(0.0, 0.1), &ad).require_grad();
        let opts = ConvOptions::new([stride, stride], [1, 1], [1, 1], 1);
        let reps = 5;
        let mut f = 0.0;
        let mut bw = 0.0;
        for i in 0..reps + 1 {
            let t = Instant::now();
            let y = conv2d(x.clone(), w.clone(), None, opts.clone());
            let _ = y.clone().inner().into_data();
            let t1 = t.elapsed().as_secs_f64();
            let t = Instant::now();
            let g = y.sum().backward();
            let gx = x.grad(&g).unwrap();
            let gw = w.grad(&g).unwrap();
            let _ = gx.into_data();
            let _ = gw.into_data();
            let t2 = t.elapsed().as_secs_f64();
            if i > 0 {
                f += t1;
                bw += t2;
            }
        }
        let (f, bw) = (f / reps as f64 * 1e3, bw / reps as f64 * 1e3);
        println!("{cin:>3}->{cout:<3} {size:>2}px s{stride} x{n}: fwd {f:7.2} ms  bwd {bw:7.2} ms");
        tf += f * n as f64;
        tb += bw * n as f64;
    }
    println!("ResNet-20 3x3 convs per step: fwd {tf:.1} ms, bwd {tb:.1} ms, total {:.1} ms", tf + tb);
}
