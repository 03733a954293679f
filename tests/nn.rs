//! Integration tests of `nn/`: one binary, one module per area.

#[path = "nn/checkpoint.rs"]
mod checkpoint;
#[path = "nn/common.rs"]
mod common;
#[path = "nn/dropout.rs"]
mod dropout;
#[path = "nn/init.rs"]
mod init;
#[path = "nn/optim.rs"]
mod optim;
