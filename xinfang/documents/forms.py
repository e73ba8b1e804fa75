from django import forms


class TemplateUploadForm(forms.Form):
    file = forms.FileField(
        label="替换模板（.docx）",
        help_text="不超过 2 MB；上传后立即用于新生成的文书。",
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".docx,application/vnd.openxmlformats-officedocument."
                "wordprocessingml.document"
            }
        ),
    )
