use clap::Parser;
use cosmograd::cli::out;

fn main() {
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
