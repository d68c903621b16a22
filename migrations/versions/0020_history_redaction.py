"""curation: redactions of a listing's history

Revision ID: 0020
Revises: 0019

A curator can remove a value (a person's email, say) from a listing's versions and change log;
``history_redaction`` records who did it, when, why and in how many places, not the value.
"""
from alembic import op
import sqlalchemy as sa

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'history_redaction',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('service_id', sa.String(length=36), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('occurrences', sa.Integer(), nullable=False),
        sa.Column('redacted_by', sa.String(length=254), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_history_redaction')),
    )
    op.create_index(op.f('ix_history_redaction_service_id'), 'history_redaction', ['service_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_history_redaction_service_id'), table_name='history_redaction')
    op.drop_table('history_redaction')
