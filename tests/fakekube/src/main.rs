use clap::Parser;

/// Stateful fake Kubernetes API server for tests.
#[derive(Parser)]
struct Args {
    /// Port on 127.0.0.1 (0 = ephemeral).
    #[arg(long, default_value_t = 0)]
    port: u16,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let running = fakekube::FakeKube::start(args.port).await?;
    print!("{}", fakekube::kubeconfig(&running.url()));
    use std::io::Write;
    std::io::stdout().flush()?;
    tokio::signal::ctrl_c().await?;
    Ok(())
}
