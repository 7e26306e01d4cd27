namespace AomoriReform.Workflows.Organisation;

/// <summary>
/// One refresh token we issued. The protected token carries only its <see cref="Id"/>; a refresh
/// marks the row used and issues a successor in the same <see cref="FamilyId"/> (one sign-in).
/// A token that is presented again after it was used was copied: the account's sessions end.
/// </summary>
public sealed class RefreshToken
{
    public Guid Id { get; set; }
    public required string UserId { get; set; }
    public Guid FamilyId { get; set; }
    public DateTime IssuedAt { get; set; }
    public DateTime ExpiresAt { get; set; }
    public DateTime? UsedAt { get; set; }
}
