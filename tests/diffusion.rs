//! The DDPM half of issue 10: the U-Net, the schedule and samplers (against closed forms and
//! an exact ε), the training loop and the CLI.

mod diffusion {
    pub mod ddpm;
    pub mod unet;
}
