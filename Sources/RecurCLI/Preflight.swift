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

    /// Address space for the child: far more than any model recur runs needs, far less than a
    /// damaged file can make libhdf5 ask for.
    static func memoryLimit(forFileOf bytes: Int) -> Int {
        max(1 << 30, 4 * bytes + (256 << 20))
    }

    /// Reads `path` as `options` say (`--config`, `--lambda`) in a child process.
    static func check(path: String, options: ModelOptions) throws(RecurError) {
        guard getenv("RECUR_NO_PREFLIGHT") == nil, let executable = recurExecutable() else { return }
        var arguments = ["recur", "check-model", path]
        if let architecture = options.architecture { arguments += ["--config", architecture] }
        for mapping in options.lambdas { arguments += ["--lambda", mapping] }
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
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
        _ = fcntl(pipeEnds[0], F_SETFL, fcntl(pipeEnds[0], F_GETFL) | O_NONBLOCK)
        var message: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        func drain() {
            while message.count < 1 << 16 {
                let count = read(pipeEnds[0], &chunk, chunk.count)
                if count <= 0 { return }
                message += chunk.prefix(count)
            }
        }

        var status: Int32 = 0
        let deadline = time(nil) + time_t(timeLimitSeconds)
        while true {
            drain()
            let done = waitpid(child, &status, WNOHANG)
            if done == child { drain(); break }
            if done < 0 { return }
            if time(nil) >= deadline {
                kill(child, SIGKILL)
                waitpid(child, &status, 0)
                throw .data("\(path) is damaged: reading it did not finish within \(timeLimitSeconds) s")
            }
            usleep(2000)
        }
        let signal = status & 0x7f
        if signal != 0 {
            throw .data("\(path) is damaged: reading it made the HDF5 library fail (\(signalName(signal)))")
        }
        let code = (status >> 8) & 0xff
        guard code != 0 else { return }
        let sentence = String(decoding: message, as: UTF8.self).split(separator: "\n").first.map(String.init)
            ?? "\(path) could not be read"
        let category: RecurError.Category
        switch code {
        case 64: category = .usage
        case 66: category = .noInput
        case 73: category = .cannotCreate
        case 65: category = .data
        default: category = .failure
        }
        throw RecurError(category, sentence)
    }

    /// The running binary, when it is recur (not a test runner driving the commands in-process).
    static func recurExecutable() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return nil }
        let path = String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return path.hasSuffix("/recur") ? path : nil
    }

    static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGSEGV: return "a segmentation fault"
        case SIGBUS: return "a bus error"
        case SIGABRT: return "an abort"
        case SIGKILL: return "killed, out of memory"
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
