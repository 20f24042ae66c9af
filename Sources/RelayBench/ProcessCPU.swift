import Foundation

/// The CPU time a process has used so far (`utime + stime` in `/proc/<pid>/stat`), so a row can
/// charge a phase's CPU to the relay alone when it runs as a child process.
enum ProcessCPU {
    /// Seconds of user and system CPU of `pid`, or `nil` when it is gone.
    static func seconds(pid: Int32) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        // After the command name (which may hold spaces, hence the last ')'): state is field 3,
        // utime field 14 and stime field 15 of proc(5), so the 12th and 13th after the name.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
