import ArgumentParser
import CIOSupport
import Glibc
import RecurKeras

/// Reading a damaged HDF5 file can crash, hang or exhaust memory inside libhdf5 itself (the
/// fuzzing notes in docs/fuzzing.md list where). So before a command reads a model file in its
/// own process, a child process reads it first, under a time and memory limit. The command goes
/// on only if the child read it cleanly; if the child refused it, its sentence and status are
/// the command's; if it was killed by a signal (a crash, or memory beyond its limit) or was still
/// reading when the time was up, the file is refused as damaged — status 65, never a crash.
enum Preflight {
    static let timeLimitSeconds = 20

    /// The recur executable to run the child from: `/proc/self/exe`, set by ``Recur/main()``
    /// (whatever the binary is called), nil when the commands run inside another program (the
    /// tests), which is not recur and cannot be the child.
    nonisolated(unsafe) static var executable: String?

    /// Address space for the child: far more than any model recur runs needs, far less than a
    /// damaged file can make libhdf5 ask for.
    static func memoryLimit(forFileOf bytes: Int) -> Int {
        max(1 << 30, 4 * bytes + (256 << 20))
    }

    /// What the child may allocate for what the file asks (``MemoryBudget``): the command's own
    /// limit, within the child's address space less room for the program and libhdf5, so that
    /// an archive member or a configuration too large for the child is refused in a sentence,
    /// not by the address-space limit.
    static func childBudget(forFileOf bytes: Int, commandLimit: Int) -> Int {
        min(commandLimit, memoryLimit(forFileOf: bytes) - (256 << 20))
    }

    /// The child's command line. The path comes after `--`, and every option value is attached
    /// to its name, so that nothing the user wrote can be read as another option.
    static func arguments(path: String, options: ModelOptions, budget: Int) -> [String] {
        var arguments = ["recur", "check-model", "--max-memory=\(budget)"]
        if let architecture = options.architecture { arguments.append("--config=" + architecture) }
        for mapping in options.lambdas { arguments.append("--lambda=" + mapping) }
        return arguments + ["--", path]
    }

    /// Reads `path` as `options` say (`--config`, `--lambda`) in a child process.
    static func check(path: String, options: ModelOptions) throws(RecurError) {
        guard getenv("RECUR_NO_PREFLIGHT") == nil, let executable else { return }
        var status = stat()
        let bytes = stat(path, &status) == 0 ? Int(status.st_size) : 0
        let budget = childBudget(forFileOf: bytes, commandLimit: try options.memoryLimit())
        var argv: [UnsafeMutablePointer<CChar>?] = arguments(path: path, options: options, budget: budget).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var environment: [UnsafeMutablePointer<CChar>?] = []
        var entry = environ
        while let variable = entry.pointee {
            environment.append(strdup(variable))
            entry += 1
        }
        environment.append(strdup("RECUR_NO_PREFLIGHT=1"))
        environment.append(nil)
        defer { for pointer in environment { free(pointer) } }

        // The child's refusal comes back through a pipe on its standard error.
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { return }
        defer { close(pipeEnds[0]) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 2)
        posix_spawn_file_actions_addclose(&actions, pipeEnds[0])
        var child: pid_t = 0
        let spawned = posix_spawn(&child, executable, &actions, nil, &argv, &environment)
        close(pipeEnds[1])
        guard spawned == 0 else { return }
        let (ended, message) = wait(for: child, reading: pipeEnds[0])
        guard let ended else {
            throw .data("\(path) is damaged: reading it did not finish within \(timeLimitSeconds) s")
        }
        let signal = ended & 0x7f
        if signal != 0 {
            let text = String(decoding: message, as: UTF8.self)
            if text.contains("failed to allocate") {
                throw .data("\(path) is damaged or hostile: reading it asked for more memory than \(megabytes(memoryLimit(forFileOf: bytes))), the most a file of \(bytes) bytes may take")
            }
            throw .data("\(path) is damaged: reading it crashed the process that checks it (\(signalName(signal)))")
        }
        let code = (ended >> 8) & 0xff
        guard code != 0 else { return }
        let sentence = String(decoding: message, as: UTF8.self).split(separator: "\n").first.map(String.init)
            ?? "\(path) could not be read"
        throw RecurError(exitCode: code, sentence)
    }

    /// Waits for the child, reading its standard error all along (keeping the first 64 KiB,
    /// so that a long message can never block it), and kills it when the time is up: its
    /// status, nil if it was killed, and what it wrote.
    static func wait(for child: pid_t, reading fd: Int32) -> (status: Int32?, message: [UInt8]) {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        var message: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        func drain() {
            while true {
                let count = read(fd, &chunk, chunk.count)
                if count <= 0 { return }
                if message.count < 1 << 16 { message += chunk.prefix(count) }
            }
        }
        var status: Int32 = 0
        let deadline = time(nil) + time_t(timeLimitSeconds)
        while true {
            drain()
            let done = waitpid(child, &status, WNOHANG)
            if done == child { drain(); return (status, message) }
            if done < 0 { return (0, message) }
            if time(nil) >= deadline {
                kill(child, SIGKILL)
                waitpid(child, &status, 0)
                return (nil, message)
            }
            usleep(2000)
        }
    }

    static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGSEGV: return "a segmentation fault"
        case SIGBUS: return "a bus error"
        case SIGABRT: return "an abort"
        case SIGILL, SIGTRAP: return "a trap"
        case SIGKILL: return "killed"
        default: return "signal \(signal)"
        }
    }
}

/// `recur check-model FILE`: reads a model under a memory limit and exits; the child side of
/// ``Preflight``. Not shown in help.
struct CheckModel: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check-model", shouldDisplay: false)

    @Argument var model: String
    @OptionGroup var modelOptions: ModelOptions

    func run() throws {
        var status = stat()
        let bytes = stat(model, &status) == 0 ? Int(status.st_size) : 0
        // A crash must end this process by its signal, which is how the parent tells it from a
        // refusal (not a backtrace or a sanitizer's report and exit status 1).
        recur_default_fault_signals()
        // A sanitizer build keeps the time limit only: its runtime's shadow memory alone
        // exceeds any address-space limit.
        if recur_built_with_sanitizer() == 0 {
            let limit = rlim_t(Preflight.memoryLimit(forFileOf: bytes))
            var bound = rlimit(rlim_cur: limit, rlim_max: limit)
            setrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &bound)
        }
        do {
            _ = try modelOptions.load(model)
        } catch {
            // The sentence alone: the parent prints it as its own.
            Console.error(error.message)
            throw ExitCode(error.exitCode)
        }
    }
}
