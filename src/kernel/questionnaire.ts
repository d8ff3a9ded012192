/** A published checklist as everyone reads it: its sections, and each question with the agency a "yes" goes to. */
export interface QuestionnaireView {
  id: string;
  version: number;
  title: string;
  status: 'draft' | 'published' | 'retired';
  isCurrent: boolean;
  publishedAt: Date | null;
  sections: {
    id: string;
    position: number;
    title: string;
    questions: {
      id: string;
      position: number;
      text: string;
      agencyId: string;
      agencyName: string;
      /** where a "yes" goes while the agency is closed (agency capacity) */
      fallbackAgencyId: string | null;
      fallbackAgencyName: string | null;
    }[];
  }[];
}
