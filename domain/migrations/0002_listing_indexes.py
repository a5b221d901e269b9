from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='User',
            index=Index(fields=['organization_id', 'created_at', 'id'], name='users_org_created'),
        ),
        ops.AddIndex(
            model_name='User',
            index=Index(fields=['organization_id', 'updated_at', 'id'], name='users_org_updated'),
        ),
    ]
