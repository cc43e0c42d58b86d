import ArgumentParser

/// The `recur` command: runs and trains small recurrent networks saved by Keras.
public struct Recur: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "recur",
        abstract: "Run, stream and train Keras recurrent forecasting models on a small Linux box.",
        subcommands: []
    )

    public init() {}
}
