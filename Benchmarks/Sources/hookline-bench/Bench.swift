import ArgumentParser
import Foundation

/// Measurements behind the figures in Benchmarks/README.md. Build with `-c release`.
@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hookline-bench",
        abstract: "Hookline's measurements (run Benchmarks/run.sh for the whole table).",
        subcommands: [GenerateLog.self, ConsoleBench.self, Recovery.self, SignRequests.self, Post.self, Apply.self, SandboxCommand.self, Micro.self, DurableWrite.self]
    )
}
