using System.Globalization;
using NUnit.Framework;
using RxChat.Hosting;

namespace RxChat.Tests;

/// <summary>
/// Processes an earlier test run left behind when it was killed before it could stop them (a test host killed by a
/// timeout, say): server nodes of this build and redis-servers working in the tests' directories, orphaned (their parent gone),
/// are stopped before this run starts, so they neither load the machine nor hold ports.
/// </summary>
[SetUpFixture]
public sealed class LeftBehind
{
    [OneTimeSetUp]
    public void StopOrphans()
    {
        var server = typeof(ChatHost).Assembly.Location;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var command = File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' ');
                var parent = File.ReadLines(Path.Combine(directory, "status")).First(l => l.StartsWith("PPid:", StringComparison.Ordinal))["PPid:".Length..].Trim();
                // redis-server shows only its address as its command line, but works in the test's directory for it.
                var redis = command.Contains("redis-server", StringComparison.Ordinal)
                    && (new FileInfo(Path.Combine(directory, "cwd")).LinkTarget ?? "").Contains("rxchat-redis-", StringComparison.Ordinal);
                var ours = command.Contains(server, StringComparison.Ordinal) || redis;
                if (ours && parent == "1")
                {
                    System.Diagnostics.Process.GetProcessById(pid).Kill();
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Gone meanwhile, or not ours to look at.
            }
        }
    }
}
