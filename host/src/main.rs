//! `edge-host`: parse the command line, run, exit with the guest's status.
//! A failure of edge-host itself is printed once, with its causes, and exits 1.

fn main() {
    let code = match edge_host::cli::main_with_args(std::env::args_os()) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("edge-host: {}", edge_host::report::Chain(&err));
            1
        }
    };
    // Through the shutdown gate: a notice being written by the signal thread is finished first.
    edge_host::shutdown::exit(code);
}
