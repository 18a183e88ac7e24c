import { Templates } from './facades';
import type { Layout, LayoutPreview, MailingDetail, MailingTemplate } from './types';

/** layouts returns all layouts by name. */
export async function layouts(): Promise<Layout[]> {
  return Templates.Layouts();
}

/** defaultLayout returns the HTML of the built-in layout, to copy and adapt. */
export function defaultLayout(): Promise<string> {
  return Templates.DefaultLayout();
}

/** saveLayout checks the layout (errors at line:column in the field "html") and stores it (new when id is 0). */
export function saveLayout(l: Layout): Promise<Layout> {
  const { createdAt: _c, updatedAt: _u, ...rest } = l;
  return Templates.SaveLayout(rest);
}

/** deleteLayout deletes a layout; one a mailing uses is refused (code "conflict", naming the mailings). */
export function deleteLayout(id: number): Promise<void> {
  return Templates.DeleteLayout(id);
}

/** previewLayout renders the layout as edited around sample content in the language. */
export function previewLayout(html: string, language: 'de' | 'en'): Promise<LayoutPreview> {
  return Templates.PreviewLayout(html, language);
}

/** mailingTemplates returns all mailing templates by name. */
export async function mailingTemplates(): Promise<MailingTemplate[]> {
  return Templates.MailingTemplates();
}

/** saveMailingTemplate checks and stores a mailing template (new when id is 0). */
export function saveMailingTemplate(m: MailingTemplate): Promise<MailingTemplate> {
  const { createdAt: _c, updatedAt: _u, ...rest } = m;
  return Templates.SaveMailingTemplate(rest);
}

/** deleteMailingTemplate deletes a mailing template (mailings started from it stay). */
export function deleteMailingTemplate(id: number): Promise<void> {
  return Templates.DeleteMailingTemplate(id);
}

/** createMailingFromTemplate starts a new draft from template id (name '': "<template> <date>"). */
export async function createMailingFromTemplate(id: number, name: string): Promise<MailingDetail> {
  return Templates.CreateMailingFromTemplate(id, name);
}
