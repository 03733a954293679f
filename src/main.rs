use clap::Parser;

fn main() {
    let cli = cosmograd::cli::Cli::parse();
    match cosmograd::cli::run(cli) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    }
}
