//! The linear matter power spectrum and its projection onto a slab.
//!
//! P(k) = A k^{n_s} T²(k) with the Eisenstein & Hu (1998) no-wiggle transfer function T
//! (their eqs. 26–31), the amplitude A fixed by σ_8; `slab_projection` turns a 3-D spectrum
//! into the 2-D spectrum of a field averaged through a slab of thickness Δ. Units: k in h/Mpc,
//! P_3D in (Mpc/h)³, P_2D in (Mpc/h)². Plain `f64` functions, no tape.

use crate::error::{Error, Result};
use std::f64::consts::PI;
use std::sync::OnceLock;

/// The CMB temperature in kelvin (Fixsen 2009), which sets θ_2.7 in the transfer function.
pub const T_CMB: f64 = 2.7255;

/// The integration range of σ_R, in h/Mpc (science.md §4): wide enough that the integrand is
/// negligible at both ends for every cosmology the simulators use.
const SIGMA_K_RANGE: (f64, f64) = (1e-5, 1e3);
/// Simpson intervals over ln k for σ_R: 2¹⁴ resolve the top-hat window's oscillations up to
/// k ≈ 100 h/Mpc, beyond which the integrand is below 1e-10 of the total.
const SIGMA_INTERVALS: usize = 1 << 14;

/// The parameters the linear spectrum depends on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cosmology {
    pub omega_m: f64,
    pub omega_b: f64,
    /// H_0 / (100 km/s/Mpc).
    pub h: f64,
    pub n_s: f64,
    pub sigma_8: f64,
}

impl Cosmology {
    /// The CAMELS cosmology at a given (Ω_m, σ_8): Ω_b = 0.049, h = 0.6711, n_s = 0.9624.
    pub fn camels(omega_m: f64, sigma_8: f64) -> Self {
        Cosmology {
            omega_m,
            omega_b: 0.049,
            h: 0.6711,
            n_s: 0.9624,
            sigma_8,
        }
    }

    /// The Quijote fiducial cosmology (Ω_m = 0.3175, σ_8 = 0.834).
    pub fn quijote() -> Self {
        Cosmology {
            sigma_8: 0.834,
            ..Cosmology::camels(0.3175, 0.834)
        }
    }

    /// Checks that the transfer function is defined: 0 < Ω_b < Ω_m, h > 0, σ_8 > 0, all finite.
    pub fn validate(&self) -> Result<()> {
        let c = self;
        let finite = [c.omega_m, c.omega_b, c.h, c.n_s, c.sigma_8].iter().all(|v| v.is_finite());
        if !finite || c.omega_m <= 0.0 || c.omega_b <= 0.0 || c.omega_b >= c.omega_m || c.h <= 0.0 || c.sigma_8 <= 0.0 {
            return Err(Error::invalid(
                "cosmology",
                format!("{c:?}: need finite values with 0 < Ω_b < Ω_m, h > 0 and σ_8 > 0 (e.g. Ω_m = 0.3, σ_8 = 0.8)"),
            ));
        }
        Ok(())
    }
}

/// The Eisenstein & Hu (1998) no-wiggle transfer function: the shape of the spectrum without
/// baryon acoustic oscillations, with the baryon suppression of the effective shape Γ_eff.
/// Everything that depends only on the cosmology is computed once here.
#[derive(Clone, Copy, Debug)]
pub struct EhNoWiggle {
    /// Ω_m h, the shape parameter without baryons.
    omega_m_h: f64,
    /// θ_2.7² = (T_CMB / 2.7)².
    theta2: f64,
    /// The sound horizon s in Mpc (eq. 26).
    sound_horizon: f64,
    /// α_Γ (eq. 31).
    alpha_gamma: f64,
    h: f64,
}

impl EhNoWiggle {
    pub fn new(c: &Cosmology) -> Self {
        let om = c.omega_m * c.h * c.h; // ω_m = Ω_m h²
        let ob = c.omega_b * c.h * c.h; // ω_b = Ω_b h²
        let fb = c.omega_b / c.omega_m;
        EhNoWiggle {
            omega_m_h: c.omega_m * c.h,
            theta2: (T_CMB / 2.7).powi(2),
            sound_horizon: 44.5 * (9.83 / om).ln() / (1.0 + 10.0 * ob.powf(0.75)).sqrt(),
            alpha_gamma: 1.0 - 0.328 * (431.0 * om).ln() * fb + 0.38 * (22.3 * om).ln() * fb * fb,
            h: c.h,
        }
    }

    /// T(k), k in h/Mpc (eqs. 28–30; the sound horizon is in Mpc, hence k h in eq. 30).
    pub fn transfer(&self, k: f64) -> f64 {
        let ks = 0.43 * k * self.h * self.sound_horizon;
        let ag = self.alpha_gamma;
        let gamma_eff = self.omega_m_h * (ag + (1.0 - ag) / (1.0 + ks.powi(4)));
        let q = k * self.theta2 / gamma_eff;
        let l0 = (2.0 * std::f64::consts::E + 1.8 * q).ln();
        let c0 = 14.2 + 731.0 / (1.0 + 62.5 * q);
        l0 / (l0 + c0 * q * q)
    }
}

/// The Fourier transform of a 3-D top hat, W(x) = 3 (sin x − x cos x) / x³ (its Taylor series
/// near 0, where the formula cancels catastrophically).
pub fn tophat_window(x: f64) -> f64 {
    if x.abs() < 1e-2 {
        let x2 = x * x;
        1.0 - x2 / 10.0 + x2 * x2 / 280.0
    } else {
        3.0 * (x.sin() - x * x.cos()) / (x * x * x)
    }
}

/// The linear power spectrum P(k) = A k^{n_s} T²(k), normalised to the cosmology's σ_8.
#[derive(Clone, Copy, Debug)]
pub struct LinearPower {
    pub cosmology: Cosmology,
    transfer: EhNoWiggle,
    /// A, in (Mpc/h)^{3+n_s}.
    amplitude: f64,
}

impl LinearPower {
    /// Builds the spectrum and fixes A so that σ(R = 8 h⁻¹Mpc) equals `cosmology.sigma_8`.
    pub fn new(cosmology: Cosmology) -> Result<Self> {
        cosmology.validate()?;
        let mut p = LinearPower {
            cosmology,
            transfer: EhNoWiggle::new(&cosmology),
            amplitude: 1.0,
        };
        p.amplitude = (cosmology.sigma_8 / p.sigma_r(8.0)).powi(2);
        Ok(p)
    }

    /// P(k) in (Mpc/h)³, k in h/Mpc.
    pub fn power(&self, k: f64) -> f64 {
        let t = self.transfer.transfer(k);
        self.amplitude * k.powf(self.cosmology.n_s) * t * t
    }

    /// The dimensionless spectrum Δ²(k) = k³ P(k) / (2π²): the variance per ln k.
    pub fn delta2(&self, k: f64) -> f64 {
        k * k * k * self.power(k) / (2.0 * PI * PI)
    }

    /// σ_R, the rms of the field smoothed with a top hat of radius R (h⁻¹Mpc):
    /// σ_R² = ∫ d ln k Δ²(k) W²(kR), by Simpson's rule in ln k over [1e-5, 1e3] h/Mpc.
    pub fn sigma_r(&self, r: f64) -> f64 {
        let (a, b) = (SIGMA_K_RANGE.0.ln(), SIGMA_K_RANGE.1.ln());
        let n = SIGMA_INTERVALS;
        let step = (b - a) / n as f64;
        let f = |i: usize| {
            let k = (a + i as f64 * step).exp();
            self.delta2(k) * tophat_window(k * r).powi(2)
        };
        let mut sum = f(0) + f(n);
        for i in 1..n {
            sum += f(i) * if i % 2 == 1 { 4.0 } else { 2.0 };
        }
        (sum * step / 3.0).sqrt()
    }
}

/// Nodes and weights of 16-point Gauss–Legendre quadrature on [−1, 1], found by Newton's
/// method on P_16 (exact for polynomials of degree 31).
fn gauss_legendre_16() -> &'static [(f64, f64); 16] {
    static NODES: OnceLock<[(f64, f64); 16]> = OnceLock::new();
    NODES.get_or_init(|| {
        const N: usize = 16;
        let mut out = [(0.0, 0.0); N];
        for (i, slot) in out.iter_mut().enumerate() {
            // Tricomi's initial guess for the i-th root, then Newton on P_N.
            let mut x = (PI * (i as f64 + 0.75) / (N as f64 + 0.5)).cos();
            let mut dp = 0.0;
            for _ in 0..100 {
                let (mut p0, mut p1) = (1.0, x);
                for n in 2..=N {
                    let p2 = ((2 * n - 1) as f64 * x * p1 - (n - 1) as f64 * p0) / n as f64;
                    p0 = p1;
                    p1 = p2;
                }
                dp = N as f64 * (x * p1 - p0) / (x * x - 1.0);
                let dx = p1 / dp;
                x -= dx;
                if dx.abs() < 1e-15 {
                    break;
                }
            }
            *slot = (x, 2.0 / ((1.0 - x * x) * dp * dp));
        }
        out
    })
}

/// ∫_a^b f by 16-point Gauss–Legendre.
fn gl16(f: &impl Fn(f64) -> f64, a: f64, b: f64) -> f64 {
    let (mid, half) = ((a + b) / 2.0, (b - a) / 2.0);
    gauss_legendre_16().iter().map(|&(x, w)| w * f(mid + half * x)).sum::<f64>() * half
}

/// Side lobes of sinc² integrated one by one before the tail is taken in closed form.
const SLAB_LOBES: usize = 64;

/// The 2-D spectrum of a 3-D field averaged through a slab of thickness Δ:
///
/// P_2D(k) = ∫ dk_z/(2π) P_3D(√(k² + k_z²)) sinc²(k_z Δ/2),  sinc x = sin x / x,
///
/// which tends to P_3D(k)/Δ when kΔ ≫ 1. The integrand is even in k_z; [0, ∞) is split into
/// the main lobe of sinc² (0 to 2π/Δ, in geometric panels so that a k ≪ 1/Δ is resolved), the
/// next 64 side lobes (one Gauss–Legendre panel each), and a tail in which sin² is replaced by
/// its mean ½ (exact to O(1/(KΔ)²) at a zero K of sin), integrated in t = K/k_z. The nodes
/// do not depend on P_3D, so the result is a smooth function of any parameter of P_3D (the
/// Fisher matrix differentiates through it).
pub fn slab_projection(p3d: impl Fn(f64) -> f64, k: f64, thickness: f64) -> f64 {
    let d = thickness;
    let lobe = 2.0 * PI / d;
    let integrand = |kz: f64| {
        let x = kz * d / 2.0;
        let sinc = if x.abs() < 1e-8 { 1.0 } else { x.sin() / x };
        p3d((k * k + kz * kz).sqrt()) * sinc * sinc
    };
    // Main lobe: panels [0, a], [a, 2a], [2a, 4a], … up to the first zero of sinc², with a
    // below both k and the lobe width, so the k-dependence of P_3D near k_z = 0 is resolved.
    let mut sum = 0.0;
    let mut lo = 0.0;
    let mut hi = (k.min(lobe) / 16.0).max(lobe * 1e-9);
    loop {
        sum += gl16(&integrand, lo, hi);
        if hi >= lobe {
            break;
        }
        lo = hi;
        hi = (2.0 * hi).min(lobe);
    }
    for i in 1..=SLAB_LOBES {
        sum += gl16(&integrand, i as f64 * lobe, (i + 1) as f64 * lobe);
    }
    // Tail from K: ∫_K^∞ P_3D · 2/(Δ² k_z²) dk_z = (2/(Δ² K)) ∫_0^1 P_3D(√(k² + K²/t²)) dt.
    let big_k = (SLAB_LOBES + 1) as f64 * lobe;
    let tail = gl16(&|t: f64| p3d((k * k + (big_k / t).powi(2)).sqrt()), 0.0, 1.0) * 2.0 / (d * d * big_k);
    (sum + tail) / PI
}

/// A positive function of k tabulated on a logarithmic grid and interpolated linearly in
/// (ln k, ln f): how the simulators evaluate an expensive spectrum (a slab projection) at the
/// tens of thousands of |k| of a grid. Outside the table the end segments are extended.
#[derive(Clone, Debug)]
pub struct LogTable {
    ln_k0: f64,
    step: f64,
    ln_f: Vec<f64>,
}

impl LogTable {
    /// Tabulates `f` on [k_min, k_max] with `per_decade` points per decade (at least two points).
    pub fn new(f: impl Fn(f64) -> f64, k_min: f64, k_max: f64, per_decade: usize) -> Result<Self> {
        if !(k_min > 0.0 && k_max > k_min && k_max.is_finite() && per_decade > 0) {
            return Err(Error::invalid(
                "LogTable",
                format!("need 0 < k_min < k_max and per_decade > 0, got [{k_min}, {k_max}], {per_decade}"),
            ));
        }
        let (a, b) = (k_min.ln(), k_max.ln());
        let n = (((b - a) / std::f64::consts::LN_10) * per_decade as f64).ceil().max(1.0) as usize;
        let step = (b - a) / n as f64;
        let mut ln_f = Vec::with_capacity(n + 1);
        for i in 0..=n {
            let k = (a + i as f64 * step).exp();
            let v = f(k);
            if !(v > 0.0 && v.is_finite()) {
                return Err(Error::invalid(
                    "LogTable",
                    format!("the function must be positive and finite; f({k}) = {v}"),
                ));
            }
            ln_f.push(v.ln());
        }
        Ok(LogTable { ln_k0: a, step, ln_f })
    }

    /// The interpolated value at k > 0.
    pub fn eval(&self, k: f64) -> f64 {
        let u = (k.ln() - self.ln_k0) / self.step;
        let last = self.ln_f.len() - 2;
        let i = (u.floor().max(0.0) as usize).min(last);
        let t = u - i as f64;
        (self.ln_f[i] + t * (self.ln_f[i + 1] - self.ln_f[i])).exp()
    }
}
