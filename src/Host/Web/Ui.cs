namespace AomoriReform.Host.Web;

/// <summary>
/// The UI's texts. A key is the Japanese text itself (the default language); English comes from
/// <c>Resources/Ui.en.resx</c>. A test checks that every key the pages use has its English.
/// </summary>
public sealed class Ui;
