//! The model behind the synthetic CMD maps: a Gaussian log-temperature field whose Fourier
//! variance and mean depend on the six CAMELS parameters, each through its own signature.
//! `notes/simulator.md` derives it and justifies every constant; the simulator
//! (`synthetic::cmd`) draws maps from it and the Fisher bound (`eval::fisher`) differentiates
//! the very same functions, so the bound is the bound of the data.
//!
//! y = log10 T = m(θ) + ε + f(x), with
//! - f a Gaussian random field with P_f(k) = c² Q P_gas(k) + P_n(A_SN2),
//!   - P_gas = P_m(k; Ω_m, σ_8) S(k; A_SN1) B(k; A_AGN1),
//!   - P_m the slab projection (Δ = 5 h⁻¹Mpc) of the toy non-linear spectrum
//!     P_NL = P_lin (1 + Δ²_lin)^β (σ_8 changes its shape, not only its amplitude),
//!   - S = exp(−(k R)²), R = R_0 A_SN1^{1/2}: supernova winds smooth the smallest scales,
//!   - B = 1 − s e^{−ln²(k/k_A)/(2w²)}, s = 1 − e^{−κ A_AGN1}: AGN feedback suppresses a band,
//!   - Q = [ln(1 + σ²)/σ²]^α, σ² the variance of the gas contrast at the CMD pixel scale: the
//!     log of a field grows only logarithmically with its variance (a lognormal's
//!     var ln ρ = ln(1 + σ_δ²)), which keeps log T within realistic bounds across the prior,
//!   - P_n = P_n0 A_SN2: a white-noise floor (unresolved stochastic heating),
//! - m = m_0 + μ_A ln A_AGN2 + μ_σ (σ_8 − 0.8): the mean temperature, and ε ~ N(0, σ_m²) its
//!   scatter from map to map (the DC mode of f is zero).

use crate::data::fourier::Grid;
use crate::data::params::N_PARAMS;
use crate::data::spectrum::{slab_projection, Cosmology, LinearPower, LogTable};
use crate::error::Result;
use serde::Serialize;
use std::f64::consts::{LN_10, PI};

/// The constants of the model (defaults: the tuned values of notes/simulator.md).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CmdModel {
    /// Side of a map, h⁻¹Mpc (CMD: 25).
    pub box_size: f64,
    /// Thickness of the projected slab, h⁻¹Mpc (CMD: 5).
    pub slab: f64,
    /// β of the toy non-linear boost (1 + Δ²_lin)^β.
    pub boost: f64,
    /// c: dex of log10 T per unit projected density contrast (before compression).
    pub response: f64,
    /// α of the compression Q = [ln(1 + σ²)/σ²]^α (1: exactly lognormal, 0: none).
    pub compression: f64,
    /// The pixel scale up to which σ² is integrated, as the Nyquist wavenumber of a map of
    /// this many pixels (CMD: 256), whatever size the maps being made have.
    pub reference_size: usize,
    /// R_0: smoothing radius at A_SN1 = 1, h⁻¹Mpc.
    pub smoothing_radius: f64,
    /// k_A: centre of the AGN suppression band, h/Mpc.
    pub agn_k: f64,
    /// w: width of the band in ln k.
    pub agn_width: f64,
    /// κ: suppression depth s = 1 − e^{−κ A_AGN1}.
    pub agn_strength: f64,
    /// P_n0: white-noise power at A_SN2 = 1, dex² (h⁻¹Mpc)².
    pub noise_power: f64,
    /// m_0: mean log10 T at the fiducial point.
    pub mean_log_t: f64,
    /// μ_A: dex per unit ln A_AGN2.
    pub mean_agn2: f64,
    /// μ_σ: dex per unit σ_8.
    pub mean_sigma8: f64,
    /// σ_m: scatter of a map's mean from realisation to realisation, dex.
    pub mean_scatter: f64,
}

impl Default for CmdModel {
    fn default() -> Self {
        CmdModel {
            box_size: 25.0,
            slab: 5.0,
            boost: 2.0,
            response: 0.15,
            compression: 0.8,
            reference_size: 256,
            smoothing_radius: 0.06,
            agn_k: 8.0,
            agn_width: 0.3,
            agn_strength: 0.5,
            noise_power: 1e-5,
            mean_log_t: 4.5,
            mean_agn2: 0.3,
            mean_sigma8: 0.3,
            mean_scatter: 0.045,
        }
    }
}

/// Points per decade of the tabulated projected spectrum (linear interpolation in log-log:
/// relative error below 1e-4, and nodes that do not move with θ, so finite differences in θ
/// are smooth).
const TABLE_PER_DECADE: usize = 100;

/// Simpson intervals in ln k for σ² (a smooth integrand).
const VARIANCE_INTERVALS: usize = 1024;

/// The spectrum and mean of the model at one parameter point, for one grid.
#[derive(Clone, Debug)]
pub struct CmdSpectrum {
    /// P_m(k), tabulated.
    matter: LogTable,
    /// c² Q.
    scale: f64,
    /// σ², the variance of the gas contrast at the pixel scale.
    pub gas_variance: f64,
    radius: f64,
    agn_depth: f64,
    agn_k: f64,
    agn_width: f64,
    noise: f64,
    /// m(θ), dex.
    pub mean: f64,
    /// σ_m², dex².
    pub mean_variance: f64,
}

impl CmdSpectrum {
    /// P_gas = P_m(k) S(k) B(k): the projected gas contrast, filtered by feedback.
    pub fn gas(&self, k: f64) -> f64 {
        let band = (k / self.agn_k).ln() / self.agn_width;
        let b = 1.0 - self.agn_depth * (-0.5 * band * band).exp();
        self.matter.eval(k) * (-(k * self.radius).powi(2)).exp() * b
    }

    /// c² Q P_gas(k): the signal in log10 T.
    pub fn signal(&self, k: f64) -> f64 {
        self.scale * self.gas(k)
    }

    /// P_n, the white-noise floor.
    pub fn noise(&self) -> f64 {
        self.noise
    }

    /// P_f(k) = signal + noise: the Fourier variance of the map (dex² (h⁻¹Mpc)²).
    pub fn total(&self, k: f64) -> f64 {
        self.signal(k) + self.noise
    }
}

impl CmdModel {
    /// The model at θ = (Ω_m, σ_8, A_SN1, A_AGN1, A_SN2, A_AGN2) for maps of n×n pixels.
    pub fn spectrum(&self, theta: &[f64; N_PARAMS], n: usize) -> Result<CmdSpectrum> {
        let [omega_m, sigma_8, a_sn1, a_agn1, a_sn2, a_agn2] = *theta;
        let grid = Grid::new(n, self.box_size)?;
        let lin = LinearPower::new(Cosmology::camels(omega_m, sigma_8))?;
        let beta = self.boost;
        let nonlinear = |k: f64| {
            let p = lin.power(k);
            p * (1.0 + k * k * k * p / (2.0 * PI * PI)).powf(beta)
        };
        // From below the fundamental to beyond the grid's corner mode √2 k_N and the pixel
        // scale of the reference map.
        let k_pixel = Grid::new(self.reference_size.max(2), self.box_size)?.k_nyquist();
        let (k_lo, k_hi) = (0.9 * grid.k_fundamental(), (1.5 * grid.k_nyquist()).max(1.05 * k_pixel));
        let matter = LogTable::new(|k| slab_projection(nonlinear, k, self.slab), k_lo, k_hi, TABLE_PER_DECADE)?;
        let mut s = CmdSpectrum {
            matter,
            scale: 1.0,
            gas_variance: 0.0,
            radius: self.smoothing_radius * a_sn1.sqrt(),
            agn_depth: 1.0 - (-self.agn_strength * a_agn1).exp(),
            agn_k: self.agn_k,
            agn_width: self.agn_width,
            noise: self.noise_power * a_sn2,
            mean: self.mean_log_t + self.mean_agn2 * a_agn2.ln() + self.mean_sigma8 * (sigma_8 - 0.8),
            mean_variance: self.mean_scatter * self.mean_scatter,
        };
        // σ² = ∫_{k_F}^{k_pixel} (k²/2π) P_gas(k) d ln k (the continuum form of Σ_k P/L²).
        let (a, b) = (grid.k_fundamental().ln(), k_pixel.ln());
        let step = (b - a) / VARIANCE_INTERVALS as f64;
        let mut sum = 0.0;
        for i in 0..=VARIANCE_INTERVALS {
            let k = (a + i as f64 * step).exp();
            let w = if i == 0 || i == VARIANCE_INTERVALS {
                1.0
            } else if i % 2 == 1 {
                4.0
            } else {
                2.0
            };
            sum += w * k * k * s.gas(k) / (2.0 * PI);
        }
        let var = sum * step / 3.0;
        s.gas_variance = var;
        s.scale = self.response * self.response * ((1.0 + var).ln() / var).powf(self.compression);
        Ok(s)
    }
}

/// log10 T → T, the quantity CMD files hold (f32 keeps 24 bits: log10 of the stored value
/// differs from y by under 3e-8 dex).
pub fn temperature(log10_t: f64) -> f32 {
    (log10_t * LN_10).exp() as f32
}
