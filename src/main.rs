use clap::Parser;

fn main() {
    // Every op returns a fresh tensor; reusing freed memory instead of page-faulting each large
    // one in again is worth a third of a training step (notes/benchmarks.md). A process-wide
    // setting, so the binary makes it, never the library.
    cosmograd::backend::cpu::memory::retain_freed_memory();
    let cli = cosmograd::cli::Cli::parse();
    match cosmograd::cli::run(cli) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    }
}
