import Foundation

/// A directory laid out as Kubernetes mounts a Secret: the files are symlinks through `..data`,
/// itself a symlink to a timestamped directory; ``rotate(_:)`` writes a new directory and swaps
/// `..data` with one atomic `rename`, exactly as the kubelet does, so the files' own inodes never
/// change.
public struct MountedSecret {
    /// The mount directory.
    public let directory: String
    /// How many versions were written.
    public private(set) var version = 0

    /// The path of `name` inside the mount (a symlink through `..data`).
    public func path(_ name: String) -> String { "\(self.directory)/\(name)" }

    /// Creates the mount with `files` (name → content).
    public init(files: [String: String]) throws {
        self.directory =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("mounted-secret-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: self.directory, withIntermediateDirectories: true)
        try self.rotate(files)
        for name in files.keys {
            try FileManager.default.createSymbolicLink(atPath: self.path(name), withDestinationPath: "..data/\(name)")
        }
    }

    /// Writes a new version of every file and swaps `..data` to it atomically.
    public mutating func rotate(_ files: [String: String]) throws {
        self.version += 1
        let fresh = "..2026_11_29_\(self.version)"
        try FileManager.default.createDirectory(
            atPath: "\(self.directory)/\(fresh)", withIntermediateDirectories: false)
        for (name, content) in files {
            try Data(content.utf8).write(to: URL(fileURLWithPath: "\(self.directory)/\(fresh)/\(name)"))
        }
        let temporary = "\(self.directory)/..data_tmp"
        try FileManager.default.createSymbolicLink(atPath: temporary, withDestinationPath: fresh)
        guard rename(temporary, "\(self.directory)/..data") == 0 else {
            throw CocoaError(.fileWriteUnknown)
        }
        if self.version > 1 {
            try? FileManager.default.removeItem(atPath: "\(self.directory)/..2026_11_29_\(self.version - 1)")
        }
    }
}
