//! The `coreheat` binary: the library's command line.

fn main() {
    coreheat::main()
}
