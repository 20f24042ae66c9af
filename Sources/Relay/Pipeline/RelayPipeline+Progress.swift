extension RelayPipeline {
    /// Logs one `relay progress` line at info every `interval` (a minute: ``RelayProgress``):
    /// what the relay did since the last line, so an operator reads a summary instead of a line
    /// per event (those stay at debug). When cancelled (the relay stops) it logs what was done
    /// since the last line, then returns.
    ///
    /// - Parameter interval: The time between two lines.
    func progressTicker(every interval: Duration) async {
        var since = ContinuousClock.now
        while true {
            let slept = (try? await Task.sleep(until: since + interval, clock: .continuous)) != nil
            let now = ContinuousClock.now
            let progress = self.metrics.takeProgress()
            let (seconds, attoseconds) = (now - since).components
            let elapsed = Int64((Double(seconds) + Double(attoseconds) / 1e18).rounded())
            self.logger.info("relay progress", metadata: progress.metadata(seconds: elapsed))
            since = now
            if !slept { return }
        }
    }
}
