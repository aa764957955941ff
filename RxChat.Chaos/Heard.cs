namespace RxChat.Chaos;

/// <summary>A line received.</summary>
/// <param name="At">When (seconds from the start of the run).</param>
/// <param name="Line">The line.</param>
internal sealed record Heard(double At, string Line);
