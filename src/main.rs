use clap::Parser;
use cosmograd::cli::out;

fn main() {
    // Every op returns a fresh tensor; reusing freed memory instead of page-faulting each large
    // one in again is worth a third of a training step (notes/benchmarks.md). A process-wide
    // setting, so the binary makes it, never the library.
    cosmograd::backend::cpu::memory::retain_freed_memory();
    let cli = cosmograd::cli::Cli::parse();
    match cosmograd::cli::run(cli) {
        Ok(code) => std::process::exit(code),
        // The reader went away (`| head`): stop quietly with the status a shell reports for
        // a process ended by SIGPIPE (128 + 13), as other Unix tools do.
        Err(e) if out::is_closed_pipe(&e) => std::process::exit(141),
        Err(e) => {
            out::note(&format!("error: {e}"));
            std::process::exit(2);
        }
    }
}
