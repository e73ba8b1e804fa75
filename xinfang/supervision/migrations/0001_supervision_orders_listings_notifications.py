# Hand-named; depends on the last landed cases migration only (Case exists since 0001).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('accounts', '0002_identity_and_sessions'),
        ('cases', '0006_note_events'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Directive',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('instruction', '领导批示'), ('reminder', '催办')], max_length=12, verbose_name='类型')),
                ('text', models.TextField(verbose_name='内容')),
                ('created_at', models.DateTimeField(verbose_name='时间')),
                ('addressed_to', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.unit')),
                ('author', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('author_unit', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.unit')),
                ('case', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='directives', to='cases.case')),
            ],
            options={
                'verbose_name': '批示、催办',
                'ordering': ['created_at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='SupervisionOrder',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.CharField(max_length=40, unique=True, verbose_name='督办文号')),
                ('trigger', models.CharField(choices=[('manual', '人工督办'), ('overdue', '受理、办理超期'), ('no_feedback', '久拖不办（无办理反馈）'), ('not_executed', '处理意见未落实'), ('sent_back', '处理意见多次被退回')], max_length=20, verbose_name='督办事由')),
                ('requirement', models.TextField(verbose_name='督办要求')),
                ('issued_on', models.DateField(verbose_name='督办日期')),
                ('due_on', models.DateField(verbose_name='答复期限')),
                ('due_explanation', models.CharField(blank=True, max_length=300, verbose_name='期限计算')),
                ('due_provisional', models.BooleanField(default=False, verbose_name='暂定')),
                ('status', models.CharField(choices=[('open', '待答复'), ('answered', '已答复'), ('closed', '已办结')], default='open', max_length=10, verbose_name='状态')),
                ('answered_at', models.DateTimeField(blank=True, null=True, verbose_name='答复时间')),
                ('closed_at', models.DateTimeField(blank=True, null=True, verbose_name='办结时间')),
                ('rounds', models.PositiveSmallIntegerField(default=0, verbose_name='退回重新答复次数')),
                ('version', models.PositiveIntegerField(default=1)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('case', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='supervision_orders', to='cases.case', verbose_name='信访事项')),
                ('issued_by', models.ForeignKey(blank=True, help_text='按规则自动发起的督办单为空', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='督办人')),
                ('issued_to', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.unit', verbose_name='被督办单位')),
                ('issuing_unit', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.unit', verbose_name='督办单位')),
            ],
            options={
                'verbose_name': '督办单',
                'ordering': ['due_on', 'id'],
            },
        ),
        migrations.CreateModel(
            name='OrderResponse',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('answer', '书面答复'), ('accepted', '认可答复，办结督办'), ('sent_back', '退回重新答复')], max_length=10, verbose_name='类型')),
                ('text', models.TextField(blank=True, verbose_name='内容')),
                ('occurred_at', models.DateTimeField(verbose_name='时间')),
                ('due_on', models.DateField(blank=True, null=True, verbose_name='重新答复期限')),
                ('actor', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('actor_unit', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.unit')),
                ('order', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='responses', to='supervision.supervisionorder')),
            ],
            options={
                'verbose_name': '督办答复',
                'ordering': ['occurred_at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='Notification',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('assigned', '新转送交办'), ('sent_back', '处理意见被退回'), ('due_soon', '即将到期'), ('overdue', '已超期'), ('order_issued', '收到督办单'), ('order_answered', '督办单已答复'), ('order_sent_back', '督办答复被退回'), ('order_closed', '督办已办结'), ('reminder', '催办'), ('instruction', '领导批示'), ('listed', '挂牌督办')], max_length=20, verbose_name='类型')),
                ('text', models.CharField(max_length=300, verbose_name='内容')),
                ('url', models.CharField(blank=True, max_length=300)),
                ('created_at', models.DateTimeField(verbose_name='时间')),
                ('read_at', models.DateTimeField(blank=True, null=True, verbose_name='已读时间')),
                ('dedupe_key', models.CharField(blank=True, max_length=100)),
                ('case', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='cases.case')),
                ('recipient', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to=settings.AUTH_USER_MODEL)),
                ('order', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='supervision.supervisionorder')),
            ],
            options={
                'verbose_name': '通知',
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='LeaderCase',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('taken_on', models.DateField(verbose_name='包案日期')),
                ('note', models.CharField(blank=True, max_length=500, verbose_name='包案说明')),
                ('released_on', models.DateField(blank=True, null=True, verbose_name='结束包案日期')),
                ('release_note', models.CharField(blank=True, max_length=500, verbose_name='结束说明')),
                ('case', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='leader_cases', to='cases.case')),
                ('leader', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': '领导包案',
                'ordering': ['-taken_on', '-id'],
                'indexes': [models.Index(fields=['leader', 'released_on'], name='sup_leader_active'), models.Index(fields=['taken_on'], name='sup_leader_taken')],
                'constraints': [models.UniqueConstraint(condition=models.Q(('released_on__isnull', True)), fields=('case',), name='supervision_one_leader_per_case')],
            },
        ),
        migrations.CreateModel(
            name='Listing',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.CharField(max_length=40, unique=True, verbose_name='挂牌编号')),
                ('name', models.CharField(max_length=100, verbose_name='挂牌名称')),
                ('deadline', models.DateField(verbose_name='办结时限')),
                ('status', models.CharField(choices=[('listed', '挂牌督办中'), ('delisted', '已摘牌')], default='listed', max_length=10, verbose_name='状态')),
                ('listed_on', models.DateField(verbose_name='挂牌日期')),
                ('delisted_on', models.DateField(blank=True, null=True, verbose_name='摘牌日期')),
                ('delist_note', models.CharField(blank=True, max_length=500, verbose_name='摘牌说明')),
                ('case', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='listings', to='cases.case')),
                ('delisted_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('leader', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='责任领导')),
                ('listed_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': '挂牌督办',
                'ordering': ['deadline', 'id'],
                'indexes': [models.Index(fields=['status', 'deadline'], name='sup_listing_status')],
                'constraints': [models.UniqueConstraint(condition=models.Q(('status', 'listed')), fields=('case',), name='supervision_one_listing_per_case')],
            },
        ),
        migrations.AddIndex(
            model_name='supervisionorder',
            index=models.Index(fields=['issued_to', 'status', 'due_on'], name='sup_order_to_due'),
        ),
        migrations.AddIndex(
            model_name='supervisionorder',
            index=models.Index(fields=['status', 'due_on'], name='sup_order_status_due'),
        ),
        migrations.AddConstraint(
            model_name='supervisionorder',
            constraint=models.UniqueConstraint(condition=models.Q(('status__in', ('open', 'answered')), models.Q(('trigger', 'manual'), _negated=True)), fields=('case', 'trigger'), name='supervision_one_pending_rule_order'),
        ),
        migrations.AddIndex(
            model_name='notification',
            index=models.Index(fields=['recipient', 'read_at'], name='sup_note_unread'),
        ),
        migrations.AddIndex(
            model_name='notification',
            index=models.Index(fields=['recipient', '-created_at', '-id'], name='sup_note_newest'),
        ),
        migrations.AddConstraint(
            model_name='notification',
            constraint=models.UniqueConstraint(condition=models.Q(('dedupe_key', ''), _negated=True), fields=('recipient', 'dedupe_key'), name='supervision_notification_once'),
        ),
    ]
