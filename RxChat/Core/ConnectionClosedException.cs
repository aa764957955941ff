namespace RxChat.Core;

/// <summary>
/// A transport fails a connection's <see cref="IChatConnection.Lines"/> with this to say why it ended, when
/// the reason is not a plain reset (for example <see cref="DisconnectReason.SlowConsumer"/>). Any other
/// exception counts as <see cref="DisconnectReason.Reset"/>.
/// </summary>
public sealed class ConnectionClosedException : Exception
{
    /// <summary>Creates the exception for <paramref name="reason"/>.</summary>
    /// <param name="reason">Why the connection ended.</param>
    public ConnectionClosedException(DisconnectReason reason)
        : base($"The connection was closed: {reason}.") => Reason = reason;

    /// <summary>Creates the exception with the reason <see cref="DisconnectReason.Reset"/>.</summary>
    public ConnectionClosedException()
        : this(DisconnectReason.Reset)
    {
    }

    /// <summary>Creates the exception with a message, for the reason <see cref="DisconnectReason.Reset"/>.</summary>
    /// <param name="message">The message.</param>
    public ConnectionClosedException(string message)
        : base(message) => Reason = DisconnectReason.Reset;

    /// <summary>Creates the exception with a message and inner exception, for <see cref="DisconnectReason.Reset"/>.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public ConnectionClosedException(string message, Exception innerException)
        : base(message, innerException) => Reason = DisconnectReason.Reset;

    /// <summary>Why the connection ended.</summary>
    public DisconnectReason Reason { get; }
}
