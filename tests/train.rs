//! Integration tests of `train/`: the MDN training loop, resume, evaluation and the
//! `train mdn` / `eval mdn` commands, on tiny maps.

#[path = "train/cli.rs"]
mod cli;
#[path = "train/cmd.rs"]
mod cmd;
#[path = "train/common.rs"]
mod common;
#[path = "train/mdn_loop.rs"]
mod mdn_loop;
