using AomoriReform.Workflows.Reports;

namespace AomoriReform.Tests.Reports;

/// <summary>
/// What a journal entry's HMAC covers, byte for byte, for each version of the entry: a journal kept for
/// its retention period (up to 30 years) must still verify, so the signed text of an entry written
/// today can never change, however the code that builds it does.
/// </summary>
public sealed class JournalSignedTextTests
{
    private const char S = '\u001f';

    [Fact]
    public void An_entry_without_step_or_place_signs_the_j2_fields()
    {
        var entry = Entry();

        Assert.Equal(string.Join(S, V2Fields("j2")), Journal.SignedText(entry));
    }

    [Fact]
    public void An_entry_with_its_step_and_the_actors_place_signs_them_after_the_j2_fields_as_j3()
    {
        var entry = Entry();
        entry.StepId = "section-chief";
        entry.ActorRole = "SectionChief";
        entry.ActorSectionCode = "S-01";

        Assert.Equal(string.Join(S, [.. V2Fields("j3"), "section-chief", "SectionChief", "S-01"]), Journal.SignedText(entry));
    }

    [Fact]
    public void An_entry_signing_its_attachments_adds_their_hash_last_as_j4_even_without_a_step()
    {
        var entry = Entry();
        entry.AttachmentsHash = "attachments-sha256";

        Assert.Equal(string.Join(S, [.. V2Fields("j4"), "", "", "", "attachments-sha256"]), Journal.SignedText(entry));
    }

    private static string[] V2Fields(string tag) =>
    [
        tag, "k1", "previous-hash", "0195f3c2a1b47c0e8d6f5a4b3c2d1e0f", "7", "2026-06-01T03:04:05.678901Z",
        "user-1", "青森 太郎", "", "", "approve", "Submitted", "SectionApproved", "了解\n次へ", "8", "content-sha256",
    ];

    private static JournalEntry Entry() => new()
    {
        KeyId = "k1", PreviousHash = "previous-hash", Hash = string.Empty, ReportId = Guid.Parse("0195f3c2-a1b4-7c0e-8d6f-5a4b3c2d1e0f"), Seq = 7,
        At = new DateTime(2026, 6, 1, 3, 4, 5, DateTimeKind.Utc).AddTicks(6789010), ActorId = "user-1", Actor = "青森 太郎",
        Action = "approve", FromStatus = "Submitted", ToStatus = "SectionApproved", Comment = "了解\n次へ", ReportVersion = 8, ContentHash = "content-sha256",
    };
}
