using System.Security.Cryptography;
using System.Text;
using AomoriReform.Workflows.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace AomoriReform.Workflows.Reports;

/// <summary>
/// The keys that sign the journal (HMAC-SHA256), kept outside the database: someone who can
/// write to the database but does not have the key cannot rewrite history so that it verifies.
/// One key is current (it signs new entries); older ones only verify the entries they signed,
/// each entry naming its key id.
/// </summary>
public sealed class JournalKeys
{
    public const string KeyKey = "Journal:Key";
    public const string KeyIdKey = "Journal:KeyId";
    public const string KeyFileKey = "Journal:KeyFile";
    public const string KeysSection = "Journal:Keys";
    public const string GeneratedFileName = "journal.key";
    public const int MinimumKeyBytes = 32;

    /// <summary>The id of the key the embedded default generates.</summary>
    public const string GeneratedKeyId = "local1";

    private readonly Dictionary<string, byte[]> keys;

    public JournalKeys(string currentId, IDictionary<string, byte[]> keys)
    {
        CurrentId = currentId;
        this.keys = new Dictionary<string, byte[]>(keys, StringComparer.Ordinal);
        if (!this.keys.ContainsKey(currentId))
        {
            throw new ArgumentException($"no key {currentId}", nameof(keys));
        }
    }

    /// <summary>The id of the key that signs new entries.</summary>
    public string CurrentId { get; }

    /// <summary>Where the key came from, for the start-up log (never the key itself).</summary>
    public string Source { get; private init; } = "settings";

    public IReadOnlyCollection<string> KeyIds => keys.Keys;

    public bool Knows(string keyId) => keys.ContainsKey(keyId);

    /// <summary>HMAC-SHA256 of the text under the key with this id, lower-case hex.</summary>
    public string Sign(string keyId, string text) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(keys[keyId], Encoding.UTF8.GetBytes(text)));

    /// <summary>Whether <paramref name="mac"/> is the text's HMAC under that key (constant time).</summary>
    public bool Verify(string keyId, string text, string mac) =>
        Knows(keyId) && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Sign(keyId, text)), Encoding.ASCII.GetBytes(mac));

    /// <summary>
    /// Reads the keys from the settings: <c>Journal:Key</c> (base64, id <c>Journal:KeyId</c>, default
    /// <c>k1</c>) or <c>Journal:KeyFile</c> (lines <c>id base64</c>, the last one current), plus old keys
    /// under <c>Journal:Keys:&lt;id&gt;</c>. With neither, the embedded default and Development create
    /// <c>journal.key</c> in the data directory; anywhere else start-up stops naming the setting.
    /// </summary>
    public static JournalKeys From(IConfiguration configuration, ReformProfile profile, IHostEnvironment environment)
    {
        var keyText = Blank(configuration[KeyKey]);
        var fileText = Blank(configuration[KeyFileKey]);
        if (keyText is not null && fileText is not null)
        {
            throw new ReformConfigurationException(KeyKey, $"and {KeyFileKey} are both set; set one");
        }

        var all = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        string current;
        string source;
        if (keyText is not null)
        {
            current = Blank(configuration[KeyIdKey]) ?? "k1";
            if (!IsKeyId(current))
            {
                throw new ReformConfigurationException(KeyIdKey, "must be 1-32 letters, digits, '.', '-' or '_'");
            }

            all[current] = Decode(KeyKey, keyText);
            source = KeyKey;
        }
        else
        {
            string path;
            if (fileText is not null)
            {
                path = Path.GetFullPath(fileText, environment.ContentRootPath);
                if (!File.Exists(path))
                {
                    throw new ReformConfigurationException(KeyFileKey, $"names a file that does not exist ({path})");
                }
            }
            else if (environment.IsDevelopment() || (!profile.UsesPostgres && !environment.IsProduction()))
            {
                path = Path.Combine(profile.DataDirectory, GeneratedFileName);
                if (!File.Exists(path))
                {
                    Generate(path);
                }
            }
            else
            {
                throw new ReformConfigurationException(KeyKey,
                    $"is required outside the embedded default and Development: a base64 key of at least {MinimumKeyBytes} bytes (environment Journal__Key), or {KeyFileKey} naming a file of 'id base64' lines");
            }

            current = ReadFile(path, all);
            source = path;
        }

        foreach (var old in configuration.GetSection(KeysSection).GetChildren())
        {
            if (Blank(old.Value) is not { } value)
            {
                continue;
            }

            if (!IsKeyId(old.Key))
            {
                throw new ReformConfigurationException($"{KeysSection}:{old.Key}", "key ids are 1-32 letters, digits, '.', '-' or '_'");
            }

            var bytes = Decode($"{KeysSection}:{old.Key}", value);
            if (all.TryGetValue(old.Key, out var known) && !known.AsSpan().SequenceEqual(bytes))
            {
                throw new ReformConfigurationException($"{KeysSection}:{old.Key}", "differs from the key of the same id already configured");
            }

            all[old.Key] = bytes;
        }

        return new JournalKeys(current, all) { Source = source };
    }

    public static bool IsKeyId(string id) =>
        id.Length is >= 1 and <= 32 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_');

    /// <summary>A new random key as a key-file line.</summary>
    public static string NewKeyLine(string id) => $"{id} {Convert.ToBase64String(RandomNumberGenerator.GetBytes(MinimumKeyBytes))}";

    private static void Generate(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var content = "# AomoriReform journal signing keys: one 'id base64' per line, the last one signs new entries.\n" + NewKeyLine(GeneratedKeyId) + "\n";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            using var stream = new FileStream(path, options);
            stream.Write(Encoding.UTF8.GetBytes(content));
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process created it at the same moment; use theirs.
        }
    }

    private static string ReadFile(string path, Dictionary<string, byte[]> into)
    {
        string? last = null;
        var lineNumber = 0;
        foreach (var raw in File.ReadAllLines(path))
        {
            lineNumber++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2 || !IsKeyId(parts[0]) || into.ContainsKey(parts[0]))
            {
                throw new ReformConfigurationException(KeyFileKey, $"line {lineNumber} of {path} is not 'id base64' with a new id");
            }

            into[parts[0]] = Decode($"{KeyFileKey} line {lineNumber}", parts[1]);
            last = parts[0];
        }

        return last ?? throw new ReformConfigurationException(KeyFileKey, $"{path} holds no key");
    }

    private static byte[] Decode(string key, string base64)
    {
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            throw new ReformConfigurationException(key, "is not base64");
        }

        return bytes.Length >= MinimumKeyBytes
            ? bytes
            : throw new ReformConfigurationException(key, $"must be at least {MinimumKeyBytes} bytes (base64 of {MinimumKeyBytes} random bytes, e.g. openssl rand -base64 32)");
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
