/** A prescription as people read it (SPEC §4.9): items, numbers, status, dispensations, optional QR. */
import { Badge, Card, Group, Stack, Text, Title } from '@mantine/core'
import type { ReactNode } from 'react'
import { pathTo } from '../api/client'
import type { Prescription } from '../api/types'
import { AuthedImage } from '../components/AuthedImage'
import { DataTable } from '../components/DataTable'
import { formatDate, formatDateTime, humanize, STATUS_COLOR } from '../components/format'

/** `ABCD-EFGH-J` style grouping for reading over a counter. */
export function groupReference(ref: string): string {
  const clean = ref.replace(/[\s-]/g, '')
  return clean.match(/.{1,4}/g)?.join('-') ?? ref
}

export function PrescriptionCard({
  rx,
  showQr = false,
  showPatient = true,
  actions,
  highlightItems,
}: {
  rx: Prescription
  showQr?: boolean
  showPatient?: boolean
  actions?: ReactNode
  highlightItems?: Set<string>
}) {
  return (
    <Card withBorder component="article" aria-label={`Prescription ${rx.prescriptionNumber}`} data-testid="prescription-card">
      <Stack gap="xs">
        <Group justify="space-between" align="flex-start" wrap="wrap">
          <div>
            <Title order={3} size="h5">
              {rx.prescriptionNumber}
            </Title>
            <Text size="sm">
              Reference <strong data-testid="reference-number">{groupReference(rx.referenceNumber)}</strong>
            </Text>
          </div>
          <Badge color={STATUS_COLOR[rx.status]} size="lg" variant="light">
            {humanize(rx.status)}
          </Badge>
        </Group>
        <Group gap="lg" align="flex-start" wrap="wrap">
          <Stack gap={2} style={{ flex: 1, minWidth: 220 }}>
            {showPatient && (
              <Text size="sm">
                Patient: {rx.patient.fullName}
                {rx.patient.dateOfBirth ? ` (born ${formatDate(rx.patient.dateOfBirth)})` : ''}
              </Text>
            )}
            <Text size="sm">
              Prescriber: {rx.doctor.name}, {rx.doctor.specialty} · licence {rx.doctor.licenseNumber}
            </Text>
            <Text size="sm">Diagnosis: {rx.diagnosis}</Text>
            {rx.notes && <Text size="sm">Notes: {rx.notes}</Text>}
            {rx.prescriberWarnings && (
              <Text size="sm" c="red.8" data-testid="prescriber-override">
                Prescribed despite an allergy warning ({[...new Set(rx.prescriberWarnings.warnings.map((w) => w.substance))].join(', ')}). Prescriber's reason: “
                {rx.prescriberWarnings.reason}”
              </Text>
            )}
            <Text size="xs" c="dimmed">
              Issued {formatDateTime(rx.issuedAt)} · valid until {formatDateTime(rx.expiresAt)}
            </Text>
          </Stack>
          {showQr && (rx.status === 'active' || rx.status === 'partially_dispensed') && (
            <AuthedImage url={pathTo('/api/v1/prescriptions/{id}/qr.svg', { id: rx.id })} alt={`QR code of prescription ${rx.prescriptionNumber}`} className="qr-img" />
          )}
        </Group>
        <DataTable
          fz="sm"
          aria-label="Items"
          rows={rx.items}
          rowKey={(i) => i.id}
          rowProps={(i) => ({ className: highlightItems?.has(i.id) ? 'problem-row' : undefined })}
          columns={[
            {
              header: 'Medicine',
              cell: (i) => (
                <>
                  {i.medicineName}
                  {i.instructions ? (
                    <Text size="xs" c="dimmed">
                      {i.instructions}
                    </Text>
                  ) : null}
                </>
              ),
            },
            { header: 'Dosage', cell: (i) => i.dosage },
            { header: 'Frequency', cell: (i) => `${i.frequency}${i.durationDays ? `, ${i.durationDays} days` : ''}` },
            { header: 'Qty', cell: (i) => i.quantity },
            { header: 'Dispensed', cell: (i) => i.dispensedQuantity },
          ]}
        />
        {rx.dispensations.length > 0 && (
          <Text size="xs" c="dimmed">
            Dispensed: {rx.dispensations.map((d) => `${formatDateTime(d.at)} by ${d.pharmacist.name} (${d.pharmacist.pharmacyName})`).join('; ')}
          </Text>
        )}
        {rx.rejection && (
          <Text size="sm" c="red">
            Rejected {formatDateTime(rx.rejection.at)}: {rx.rejection.reason}
          </Text>
        )}
        {actions}
      </Stack>
    </Card>
  )
}
