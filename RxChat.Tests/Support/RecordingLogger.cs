using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace RxChat.Tests.Support;

/// <summary>Records every log entry at <see cref="MinimumLevel"/> or above (default Warning), with its exception.</summary>
internal sealed class RecordingLogger(LogLevel minimumLevel = LogLevel.Warning) : ILoggerProvider, ILogger
{
    public LogLevel MinimumLevel => minimumLevel;

    public ConcurrentQueue<(LogLevel Level, string Message, Exception? Exception, int EventId)> Entries { get; } = new();

    /// <summary>How many entries have the event id <paramref name="eventId"/>.</summary>
    public int Count(int eventId) => Entries.Count(e => e.EventId == eventId);

    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimumLevel;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
        {
            Entries.Enqueue((logLevel, formatter(state, exception), exception, eventId.Id));
        }
    }

    public void Dispose()
    {
    }
}
