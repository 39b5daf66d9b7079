//! `edge-host`: parse the command line, run, exit with the guest's status.

fn main() {
    std::process::exit(edge_host::cli::main_with_args(std::env::args_os()));
}
